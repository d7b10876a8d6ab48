"""Experts: adding and editing (expertise per market, exact day rates), unavailability, feeds,
who sees which experts (their regions' and the head office's), who may keep head-office experts."""
from sqlalchemy import select

from app.experts.models import Expert, Unavailability
from app.extensions import db
from tests.conftest import local


def test_expert_crud_unavailability_and_feed(client, login_as, make_market):
    login_as("manager")
    make_market("眼镜")
    r = client.post("/experts/new", data={"name": "", "organisation": "outside", "max_visits_per_week": "3",
                                          "day_rate": ""})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Enter the expert" in body and "An outside expert needs a day rate." in body
    r = client.post("/experts/new", data={"name": "孙教授", "organisation": "outside", "max_visits_per_week": "2",
                                          "day_rate": "2500.50", "expertise": "眼镜: 激光焊接\n精密模具"})
    assert r.status_code == 303
    expert = db.session.scalar(select(Expert))
    assert expert.day_rate_cents == 250_050 and expert.region_id is not None
    assert sorted((t.market is not None, t.tag) for t in expert.tags) == [(False, "精密模具"), (True, "激光焊接")]
    listing = client.get("/experts/?q=模具").get_data(as_text=True)
    assert "孙教授" in listing
    r = client.htmx("post", f"/experts/{expert.id}/unavailable", data={"starts_on": "2026-12-03", "ends_on": "2026-12-01"})
    assert r.status_code == 422 and "The last day cannot be before the first." in r.get_data(as_text=True)
    r = client.htmx("post", f"/experts/{expert.id}/unavailable", data={"starts_on": "2026-12-01", "ends_on": "2026-12-03", "reason": "出差"})
    assert r.status_code == 200 and "出差" in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)
    client.post(f"/experts/{expert.id}/feed", data={"action": "regenerate"})
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).ics_token


def test_experts_of_another_region_are_hidden_head_office_shown(client, login_as, make_expert):
    far = make_expert("无锡专家", region="Wuxi")
    hq = make_expert("总部专家", head_office=True)
    login_as("rep")
    listing = client.get("/experts/").get_data(as_text=True)
    assert "总部专家" in listing and "无锡专家" not in listing
    assert client.get(f"/experts/{far.id}").status_code == 404
    assert client.get(f"/experts/{hq.id}").status_code == 200
    assert client.get("/experts/new").status_code == 403


def test_expert_edit_and_unavailability_removal(client, login_as, make_expert):
    login_as("manager")
    expert = make_expert("周工")
    db.session.add(Unavailability(expert_id=expert.id, starts_on=local(2026, 12, 1, 0).date(),
                                  ends_on=local(2026, 12, 2, 0).date()))
    db.session.commit()
    r = client.post(f"/experts/{expert.id}/edit", data={"name": "周建华", "organisation": "production",
                                                      "region_id": expert.region_id, "max_visits_per_week": "4",
                                                      "expertise": "精密模具"})
    assert r.status_code == 303
    period = db.session.scalar(select(Unavailability))
    r = client.htmx("post", f"/experts/{expert.id}/unavailable/{period.id}/delete")
    assert r.status_code == 200 and "Available: no periods marked." in r.get_data(as_text=True)
    db.session.expire_all()
    expert = db.session.get(Expert, expert.id)
    assert expert.name == "周建华" and expert.max_visits_per_week == 4 and [t.tag for t in expert.tags] == ["精密模具"]
    assert db.session.query(Unavailability).count() == 0


def test_only_admins_keep_head_office_experts(client, login_as, make_expert):
    hq = make_expert("总部专家", head_office=True)
    login_as("manager")
    assert client.get(f"/experts/{hq.id}/edit").status_code == 403
    client.post("/logout")
    login_as("admin", region=None)
    r = client.post("/experts/new", data={"name": "总部李工", "organisation": "rnd", "region_id": "",
                                          "max_visits_per_week": "3"})
    assert r.status_code == 303
    assert db.session.scalar(select(Expert).where(Expert.name == "总部李工")).region_id is None


def test_expert_page_writes_each_visit_day_and_hours(client, login_as, make_expert, make_company, make_visit):
    """The booked visits read as visits/_macros.html's span writes them: one day with its hours, or
    from one day and hour to another; another region's visit only as busy, with its hours too."""
    from datetime import timedelta

    from app.core.types import utcnow
    login_as("manager")
    expert = make_expert("钱工")
    soon = utcnow().replace(microsecond=0) + timedelta(days=3)
    start = local(soon.year, soon.month, soon.day, 9, 30)
    make_visit(make_company("永达眼镜"), start, start + timedelta(hours=2), experts=[expert])
    make_visit(make_company("宏远笔业"), start + timedelta(days=1), start + timedelta(days=2, hours=1), experts=[expert])
    make_visit(make_company("远方包装", region="Wuxi"), start + timedelta(days=5), start + timedelta(days=5, hours=3),
               experts=[expert])
    db.session.commit()
    body = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    from flask import render_template_string

    from app.visits.models import Visit
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        spans = [render_template_string('{% from "visits/_macros.html" import span %}{{ span(v) }}', v=v)
                 for v in db.session.scalars(select(Visit).order_by(Visit.starts_at).execution_options(all_regions=True))]
    assert "–" in spans[0] and " – " in spans[1] and len(spans) == 3
    # The hours as written, not only as the macro writes them (the macro and the page share visit_span).
    assert spans[0].endswith(" 09:30–11:30") and " 09:30 – " in spans[1] and spans[1].endswith(" 10:30")
    start_day, end = spans[1].split(" 09:30 – ")
    assert end == f"{end[:-len(' 10:30')]} 10:30" and end[:-len(" 10:30")] != start_day  # two days
    for text in spans:
        assert text in body
    assert body.index(spans[0]) < body.index(spans[1]) < body.index("Busy (another region)")
    # The availability fragment that comes back with errors has the whole page's lists when not htmx.
    r = client.post(f"/experts/{expert.id}/unavailable", data={"starts_on": "2026-12-03", "ends_on": "2026-12-01"})
    assert r.status_code == 422 and spans[1] in r.get_data(as_text=True)
    r = client.htmx("post", f"/experts/{expert.id}/unavailable", data={"starts_on": "2026-12-03", "ends_on": "2026-12-01"})
    assert r.status_code == 422 and "<html" not in r.get_data(as_text=True)


def test_expert_page_reads_its_bookings_in_a_fixed_number_of_queries(client, login_as, make_expert, make_company,
                                                                     make_visit, queries):
    """A busy expert's page reads their visits, companies and answers in one query (app/visits/panels.py):
    more bookings, in more regions, with answers to give, add no query; each row still has its link,
    company, badges, purpose and the expert's answer with the buttons to give it."""
    from datetime import timedelta

    from app.core.types import utcnow
    from app.visits.models import MemberResponse, Purpose, VisitMember, VisitStatus
    login_as("admin", region=None)
    expert = make_expert("总部钱工", head_office=True)
    soon = utcnow().replace(microsecond=0) + timedelta(days=3)

    def book(n, region):
        for i in range(n):
            start = local(soon.year, soon.month, soon.day, 9) + timedelta(days=i % 5, hours=i % 7)
            visit = make_visit(make_company(region=region), start, start + timedelta(hours=1), level=3,
                               purpose=Purpose.TECHNICAL_CONSULTING, status=VisitStatus.CONFIRMED)
            visit.members.append(VisitMember(expert_id=expert.id, response=MemberResponse.REQUESTED))
        db.session.commit()
        return visit

    book(1, "Wenzhou")
    with queries() as few:
        assert client.get(f"/experts/{expert.id}").status_code == 200
    last = book(5, "Wenzhou")
    book(3, "Wuxi")
    book(2, "Ningbo")
    with queries() as many:
        body = client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert len(many) == len(few)
    member = db.session.scalar(select(VisitMember).where(VisitMember.visit_id == last.id,
                                                         VisitMember.expert_id == expert.id))
    assert f'<a href="/visits/{last.id}">' in body and last.company.display_name in body
    assert '<span class="badge level level-3" title="3 · Expert / head-office team">L3</span> Technical consulting' in body
    assert '<span class="badge visit-confirmed">Confirmed</span>' in body
    assert '<span class="badge response-requested">Requested</span>' in body
    assert f'action="/visits/members/{member.id}/answer"' in body
    assert body.count('name="answer" value="confirm"') == 11
