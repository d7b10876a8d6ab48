"""What a page offers is what the user may do: an expert sees no form or edit link that would be
refused, a rep cannot delete a colleague's opportunity (nor sees the button), and deleting a company
or removing a contact sits in a folded danger zone with a confirmation, not among everyday actions."""
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from app.accounts.models import Opportunity, OpportunityStage
from app.core.types import utcnow
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus
from tests.conftest import PASSWORD


def _is_form_page(endpoint: str) -> bool:
    """A page whose form posts back to itself (new, edit): a link to it offers a write."""
    rules = current_app.url_map._rules_by_endpoint.get(endpoint, [])
    return any("POST" in rule.methods and "GET" in rule.methods for rule in rules)


def _offered(body: str) -> tuple[set[str], set[str]]:
    """The endpoints of the page's POST forms that an expert may not send, and its links to edit pages."""
    adapter = current_app.url_map.bind("localhost")
    refused, links = set(), set()
    for tag in re.findall(r"<form[^>]*>", body):
        action = re.search(r'action="([^"]+)"', tag)
        if 'method="post"' not in tag or not action:
            continue
        endpoint, _args = adapter.match(action.group(1).split("?")[0], method="POST")
        if not getattr(current_app.view_functions[endpoint], "allow_experts", False):
            refused.add(endpoint)
    for href in re.findall(r'href="(/[^"#?]*)', body):
        try:
            endpoint, _args = adapter.match(href, method="GET")
        except Exception:
            continue
        if _is_form_page(endpoint) and not getattr(current_app.view_functions[endpoint], "allow_experts", False):
            links.add(endpoint)
    return refused, links


@pytest.fixture
def world(make_user, make_company, make_contact, make_market, make_association, make_visit):
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    colleague = make_user("rep", "Wenzhou", name="李娜")
    market = make_market("眼镜")
    company = make_company("温州华信眼镜有限公司", owner_id=rep.id, markets=[market])
    association = make_association("温州市眼镜商会", markets=[market], members=[make_company("温州精工眼镜有限公司")])
    begins = utcnow().replace(microsecond=0) + timedelta(days=7)
    seminar = Seminar(title="注塑机节能改造技术讲座", region=market.region, market=market, status=SeminarStatus.OPEN,
                      slug="perm-seminar", starts_at=begins, ends_at=begins + timedelta(hours=3), capacity=50)
    db.session.add(seminar)
    make_contact(company, "王建国")
    start = utcnow() + timedelta(days=2)
    visit = make_visit(company, start, start + timedelta(hours=2), users=[rep])
    won = Opportunity(company_id=company.id, title="激光焊接产线", value_cents=80_000_000, stage=OpportunityStage.WON,
                      owner_id=colleague.id)
    mine = Opportunity(company_id=company.id, title="二期改造", value_cents=10_000_000, stage=OpportunityStage.SPOTTED,
                       owner_id=rep.id)
    db.session.add_all([won, mine])
    db.session.commit()
    return {"rep": rep, "company": company, "market": market, "visit": visit, "won": won, "mine": mine,
            "association": association, "seminar": seminar}


def test_an_expert_is_offered_nothing_they_could_not_save(client, login_as, world):
    login_as("expert", "Wenzhou")
    c, m, v = world["company"].id, world["market"].id, world["visit"].id
    a, s = world["association"].id, world["seminar"].id
    offered = {}
    for url in ("/", "/companies/", f"/companies/{c}", f"/visits/company/{c}", f"/visits/company/{c}/opportunities",
                f"/visits/company/{c}/timeline", "/visits/", "/visits/week", f"/visits/{v}",
                "/markets/", f"/markets/{m}", f"/markets/{m}/screening", "/associations/", f"/associations/{a}",
                "/seminars/", f"/seminars/{s}", "/experts/", "/key-accounts/", "/service/", "/stock/",
                "/equipment/", "/funnel", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 200, url
        refused, links = _offered(response.get_data(as_text=True))
        if refused or links:
            offered[url] = sorted(refused | links)
    assert offered == {}, "\n".join(f"{u}: {e}" for u, e in offered.items())


def test_a_rep_is_offered_the_everyday_writes(client, login_as, world):
    login_as("rep", "Wenzhou")
    refused, links = _offered(client.get(f"/companies/{world['company'].id}").get_data(as_text=True))
    assert "accounts.edit" in links and "accounts.edit_contact" in links
    refused, links = _offered(client.get(f"/visits/company/{world['company'].id}/opportunities").get_data(as_text=True))
    assert {"visits.new_opportunity", "visits.edit_opportunity"} <= links


def test_a_rep_cannot_delete_a_colleagues_opportunity(client, login_as, world):
    client.post("/login", data={"email": world["rep"].email, "password": PASSWORD})
    won, mine = world["won"], world["mine"]
    page = client.get(f"/visits/opportunities/{won.id}/edit").get_data(as_text=True)
    assert f"/visits/opportunities/{won.id}/delete" not in page
    assert client.post(f"/visits/opportunities/{won.id}/delete").status_code == 403
    assert db.session.get(Opportunity, won.id) is not None
    page = client.get(f"/visits/opportunities/{mine.id}/edit").get_data(as_text=True)
    assert f"/visits/opportunities/{mine.id}/delete" in page and 'id="danger-zone"' in page
    assert client.post(f"/visits/opportunities/{mine.id}/delete").status_code == 303
    assert db.session.get(Opportunity, mine.id) is None


def test_a_manager_deletes_anyones_opportunity(client, login_as, world):
    login_as("manager", "Wenzhou")
    won = world["won"]
    assert f"/visits/opportunities/{won.id}/delete" in client.get(f"/visits/opportunities/{won.id}/edit").get_data(as_text=True)
    assert client.post(f"/visits/opportunities/{won.id}/delete").status_code == 303
    assert db.session.scalar(select(Opportunity).where(Opportunity.id == won.id)) is None


def test_deleting_sits_in_a_danger_zone_with_a_confirmation(client, login_as, world):
    login_as("manager", "Wenzhou")
    company = world["company"]
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    zone = body[body.index('<details class="danger-zone" id="danger-zone">'):]
    assert body.index("company-layout") < body.index('id="danger-zone"')  # after the page, not beside it
    assert f'action="/companies/{company.id}/delete"' in zone
    assert re.search(r'<input type="checkbox" id="confirm-delete" name="confirm" value="1" required>', zone)
    assert not re.search(r"/contacts/\d+/delete", body)  # no remove button on the contact cards
    contact = company.contacts[0]
    page = client.get(f"/companies/{company.id}/contacts/{contact.id}/edit").get_data(as_text=True)
    zone = page[page.index('id="danger-zone"'):]
    assert f"/companies/{company.id}/contacts/{contact.id}/delete" in zone and "required" in zone
