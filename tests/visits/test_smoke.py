from tests.conftest import local


def test_pages_render(client, login_as, make_company, make_expert, make_visit, make_market):
    user = login_as("manager")
    market = make_market()
    company = make_company(address="瓯海大道1号")
    company.markets.append(market)
    expert = make_expert()
    v = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user], experts=[expert])
    for url in ["/visits/", "/visits/week?week=2026-11-30", f"/visits/week?week=2026-11-30&who=e:{expert.id}",
                "/visits/schedule?week=2026-11-30", f"/visits/new?company={company.id}", f"/visits/{v.id}",
                f"/visits/{v.id}/edit", f"/visits/{v.id}/report", "/visits/calendar", "/visits/settings",
                "/visits/escalations", f"/visits/company/{company.id}", f"/visits/opportunities/new?company={company.id}",
                "/experts/", "/experts/new", f"/experts/{expert.id}", f"/experts/{expert.id}/edit",
                f"/visits/{v.id}.ics"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[-3000:])
