"""The visits pages as a new user found them: the company is chosen, not pre-filled; each person is
listed once; saving says so; the week marks today and explains its marks; the printed schedule
keeps names whole, lists a seminar once with its speakers, and carries its printing date."""
import re
from datetime import timedelta

from sqlalchemy import select

from app.core import time as grove_time
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits.models import Visit
from tests.conftest import local


def test_new_visit_form_has_no_company_chosen_before_a_search(client, login_as, make_company):
    login_as("rep")
    make_company("温州安达笔业有限公司")
    make_company("温州宝利眼镜有限公司")
    body = client.get("/visits/new").get_data(as_text=True)
    select_html = body[body.index('id="company_id"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert '<option selected value="">Choose a company…</option>' in select_html
    assert "selected value=\"1\"" not in select_html and 'value="1" selected' not in select_html
    assert "No conflicts" not in body  # nothing is checked before there is a company
    # The search's options start blank too, so choosing one is a change that loads the company's details.
    options = client.htmx("get", "/visits/company-options?company_q=温州", target="company_id").get_data(as_text=True)
    assert options.startswith('<option value="" selected>Choose a company…</option>')


def test_saving_without_a_company_says_so_at_the_field(client, login_as):
    rep = login_as("rep")
    response = client.post("/visits/new", data={"company_id": "", "starts_at": "2026-12-01T09:00",
                                                "ends_at": "2026-12-01T11:00", "purpose": "introduction",
                                                "level": "1", "user_ids": [rep.id]})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Choose the company to visit." in body and "could not coerce" not in body
    assert db.session.scalar(select(Visit)) is None


def test_a_user_who_is_an_expert_is_listed_once(client, login_as, make_user, make_expert, make_company):
    login_as("manager")
    person = make_user("expert", "Wenzhou", name="刘建华")
    expert = make_expert("刘建华", user_id=person.id)
    make_company()
    for url in ("/visits/", "/visits/week"):
        body = client.get(url).get_data(as_text=True)
        assert body.count("刘建华") == 1, url
    body = client.get("/visits/new").get_data(as_text=True)
    assert re.search(rf'name="expert_ids"[^>]*value="{expert.id}"', body)
    assert not re.search(rf'name="user_ids"[^>]*value="{person.id}"', body)
    assert f'value="u:{person.id}"' not in body and f'value="e:{expert.id}"' in body  # the lead choices


def test_an_expert_opens_on_their_own_week_as_the_expert(client, login_as, make_expert):
    person = login_as("expert", "Wenzhou", name="刘建华")
    expert = make_expert("刘建华", user_id=person.id)
    body = client.get("/visits/week").get_data(as_text=True)
    assert f'<option value="e:{expert.id}" selected>' in body


def test_saving_a_visit_says_so(client, login_as, make_company):
    rep = login_as("rep")
    company = make_company("温州华信眼镜有限公司")
    response = client.post("/visits/new", data={
        "company_id": company.id, "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T11:00",
        "purpose": "introduction", "level": "1", "user_ids": [rep.id], "lead": "", "opportunity_id": ""})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The visit to 温州华信眼镜有限公司 on Dec 1, 2026 is saved." in page


def test_week_marks_today_and_has_a_legend(client, login_as, make_company, make_visit, clock):
    rep = login_as("rep")
    clock.set(local(2026, 12, 2, 10))  # a Wednesday
    make_visit(make_company(), local(2026, 12, 2, 14), local(2026, 12, 2, 15), users=[rep])
    body = client.get("/visits/week").get_data(as_text=True)
    assert body.count('aria-current="date"') == 1
    today = body[body.index('aria-current="date"'):]
    assert today.index("Today") < today.index("</h2>") and "Dec 2" in today[:today.index("</h2>")]
    legend = body[body.index('class="week-legend"'):]
    for words in ("Planned", "Confirmed", "Done", "Cancelled", "Seminar talk", "★ leads the visit", "L1", "L4",
                  "4 · Executive"):
        assert words in legend
    other_week = client.get("/visits/week?week=2026-12-14").get_data(as_text=True)
    assert 'aria-current="date"' not in other_week


def test_printed_schedule(client, login_as, make_company, make_visit, make_expert, make_user, clock):
    rep = login_as("manager", name="王志远")
    clock.set(local(2026, 11, 30, 8, 5))
    company = make_company("温州市鹿城科达镜业有限公司")
    make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[rep])
    first, second = make_expert("周建华"), make_expert("吴光明", head_office=True)
    seminar = Seminar(region_id=company.region_id, title="激光焊接技术讲座", slug="laser-print", venue="协会会议室",
                      starts_at=local(2026, 12, 3, 14), ends_at=local(2026, 12, 3, 16), status=SeminarStatus.OPEN,
                      speakers=[Speaker(expert_id=first.id, position=1), Speaker(expert_id=second.id, position=2)])
    db.session.add(seminar)
    db.session.commit()
    body = client.get("/visits/schedule?week=2026-11-30").get_data(as_text=True)
    assert body.count("激光焊接技术讲座") == 1
    talk = body[body.index("激光焊接技术讲座"):]
    talk = talk[:talk.index("</tr>")]
    assert "周建华" in talk and "吴光明" in talk and "Speakers" in talk
    assert "温州市<wbr>鹿城<wbr>科达镜业<wbr>有限公司" in body
    assert '<span class="member lead">' in body or '<span class="member">' in body
    assert re.search(r"Printed Nov 30, 2026, 8:05\s?AM", body)
    assert "data-print" in body and "js/print.js" in body


def test_week_page_reads_a_fixed_number_of_queries(client, login_as, make_company, make_visit, make_expert,
                                                   queries):
    rep = login_as("rep")
    monday = grove_time.today_in() - timedelta(days=grove_time.today_in().weekday())

    def add_week_of_talks(n):
        for i in range(n):
            expert = make_expert(f"专家{i}{n}")
            start = local(monday.year, monday.month, monday.day, 9) + timedelta(days=i % 5, hours=i)
            db.session.add(Seminar(region_id=rep.regions[0].id, title=f"讲座{i}{n}", slug=f"s{i}-{n}",
                                   starts_at=start, ends_at=start + timedelta(hours=1), status=SeminarStatus.OPEN,
                                   speakers=[Speaker(expert_id=expert.id)]))
        db.session.commit()

    add_week_of_talks(2)
    with queries() as few:
        client.get("/visits/week")
    add_week_of_talks(6)
    with queries() as many:
        assert "讲座56" in client.get("/visits/week").get_data(as_text=True)
    assert len(many) == len(few)


def test_edit_page_reads_a_fixed_number_of_queries_whatever_the_team(client, login_as, make_company, make_visit,
                                                                    make_user, make_expert, make_market, queries):
    """The edit page checks its team's conflicts with the people's names only (Team.load, without the
    users' regions or the experts' market tags) and reads the company with the visit: a bigger team,
    with users of several regions and more experts, adds no query."""
    from app.experts.models import ExpertTag
    manager = login_as("manager")
    market = make_market()
    start = local(2026, 12, 1, 9, 30)

    def expert(name):
        return make_expert(name, tags=[ExpertTag(market_id=market.id, tag="激光焊接")])
    small = make_visit(make_company(), start, start + timedelta(hours=2), users=[manager], experts=[expert("专家")])
    people = [make_user(name=f"同事{i}") for i in range(3)] + [make_user(region="Wuxi", name="无锡同事")]
    big = make_visit(make_company(), start, start + timedelta(hours=2), users=[manager, *people],
                     experts=[expert(f"专家{i}") for i in range(3)])
    small_url, big_url, big_company = f"/visits/{small.id}/edit", f"/visits/{big.id}/edit", big.company.name
    with queries() as few:
        assert client.get(small_url).status_code == 200
    with queries() as many:
        body = client.get(big_url).get_data(as_text=True)
    assert len(many) == len(few) == 17  # 14 without an expert on the team: their talks, days off, weekly limit
    assert "同事2" in body and "专家2" in body and big_company in body
