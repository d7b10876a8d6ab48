"""The week and the printed schedule read a busy week's visits as columns and write each team in
Python (app/visits/display.py): what they show is what the visits list shows for the same visit."""
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.visits.models import MemberResponse, VisitMember, VisitStatus
from tests.conftest import local

MONDAY = "2026-11-30"


def _visit(make_company, make_visit, make_user, make_expert, **kw):
    lead = make_user(name="Lead <b>Wang</b>")
    other = make_user(name="李四")
    asked, declined = make_expert("周工", head_office=True), make_expert("吴工", head_office=True)
    company = make_company("温州市鹿城科达镜业有限公司", short_name="科达")
    start = local(2026, 12, 1, 9, 30)
    visit = make_visit(company, start, start + timedelta(hours=2), users=[other], level=3, **kw)
    visit.members.append(VisitMember(user_id=lead.id, is_lead=True))
    visit.members.append(VisitMember(expert_id=asked.id, response=MemberResponse.REQUESTED))
    visit.members.append(VisitMember(expert_id=declined.id, response=MemberResponse.DECLINED))
    db.session.commit()
    return visit


TEAM = ('<span class="member lead">Lead &lt;b&gt;Wang&lt;/b&gt; ★</span>、<span class="member">李四</span>、'
        '<span class="member">周工 <small>(Requested)</small></span>、'
        '<span class="member declined">吴工 <small>(Declined)</small></span>')


def test_week_row(client, login_as, make_company, make_visit, make_user, make_expert):
    login_as("manager")
    visit = _visit(make_company, make_visit, make_user, make_expert)
    page = client.get(f"/visits/week?week={MONDAY}").get_data(as_text=True)
    fragment = client.get(f"/visits/week?week={MONDAY}", headers={"HX-Request": "true", "HX-Target": "week"})
    assert "<html" not in fragment.get_data(as_text=True)
    for body in (page, fragment.get_data(as_text=True)):
        assert f'<a class="week-item visit-planned" href="/visits/{visit.id}">' in body
        assert '<span class="time">09:30–11:30</span>' in body
        assert '<strong>科达</strong> <span class="badge level level-3" title="' in body
        assert f'<span class="who">{TEAM}</span>' in body
    # The list writes the same team with the same macro.
    assert TEAM in client.get("/visits/?when=all").get_data(as_text=True)


def test_schedule_row(client, login_as, make_company, make_visit, make_user, make_expert, make_contact):
    login_as("manager")
    visit = _visit(make_company, make_visit, make_user, make_expert, place="鹿城路 1 号", agenda="新品\n试戴",
                   status=VisitStatus.CANCELLED)
    make_contact(visit.company, "李志强", phone="13800001111")
    body = client.get(f"/visits/schedule?week={MONDAY}").get_data(as_text=True)
    assert '<td class="c-time">09:30–11:30<br>Cancelled</td>' in body
    assert ('<strong class="company-name">温州市<wbr>鹿城<wbr>科达镜业<wbr>有限公司</strong><br>鹿城路 1 号'
            in body)
    assert "李志强" in body and "13800001111" in body
    assert f'<td class="c-team">{TEAM}</td>' in body
    assert '<td class="c-agenda prewrap">新品\n试戴</td>' in body


def test_upcoming_list_keeps_a_long_visit_under_way(client, login_as, make_company, make_visit):
    """The list's "upcoming" reads visits by their start from Visit.LONGEST ago: a visit of almost
    two weeks that began 13 days ago is still listed; one that has ended is not."""
    rep = login_as("rep")
    now = datetime.now(UTC)
    long = make_visit(make_company("温州长期眼镜有限公司"), now - timedelta(days=13), now + timedelta(hours=2),
                      users=[rep])
    make_visit(make_company("温州已完眼镜有限公司"), now - timedelta(hours=3), now - timedelta(hours=1), users=[rep])
    soon = make_visit(make_company("温州将来眼镜有限公司"), now + timedelta(days=1), now + timedelta(days=1, hours=2),
                      users=[rep])
    body = client.get("/visits/").get_data(as_text=True)
    assert "温州长期眼镜有限公司" in body and "温州将来眼镜有限公司" in body and "温州已完眼镜有限公司" not in body
    assert body.index(f'href="/visits/{long.id}"') < body.index(f'href="/visits/{soon.id}"')
    fragment = client.get("/visits/?when=upcoming", headers={"HX-Request": "true", "HX-Target": "results"})
    assert "温州长期眼镜有限公司" in fragment.get_data(as_text=True)


def test_schedule_shows_a_renamed_company_and_a_changed_team(client, login_as, make_company, make_visit, make_user,
                                                             make_expert):
    """A company's name is cut once per name and each distinct team written once per page: nothing of
    it outlives a change (the next printing shows the new name and the new team)."""
    login_as("manager")
    visit = _visit(make_company, make_visit, make_user, make_expert)
    body = client.get(f"/visits/schedule?week={MONDAY}").get_data(as_text=True)
    assert "温州市<wbr>鹿城<wbr>科达镜业<wbr>有限公司" in body and f'<td class="c-team">{TEAM}</td>' in body
    visit.company.name = "温州市鹿城新科达镜业有限公司"
    for member in visit.members:
        member.is_lead = member.name == "李四"
    db.session.commit()
    body = client.get(f"/visits/schedule?week={MONDAY}").get_data(as_text=True)
    assert "温州市<wbr>鹿城<wbr>新科达镜业<wbr>有限公司" in body and "科达镜业" not in body.replace("新科达镜业", "")
    assert '<span class="member lead">李四 ★</span>' in body and TEAM not in body


def test_schedule_names_the_first_contact_with_a_role(client, login_as, make_company, make_visit, make_contact):
    """Each visit's contact is its company's first by name who has a role, else its first by name; a
    person's own week names those of companies in other regions too."""
    from app.accounts.models import ContactRole

    me = login_as("manager")
    with_roles, without, elsewhere = (make_company("温州角色眼镜有限公司"), make_company("温州无角色眼镜有限公司"),
                                      make_company("宁波外区眼镜有限公司", region="Ningbo"))
    # Made in the reverse of their names' order: the order is the names', not the ids'.
    make_contact(with_roles, "Carol", title="CEO", phone="13900000003", roles=[ContactRole.KEY_PERSON])
    make_contact(with_roles, "Bob", title="Buyer", phone="13900000002", roles=[ContactRole.PROCUREMENT])
    make_contact(with_roles, "Alice", title="Clerk", phone="13900000001")
    make_contact(without, "Eve", title="Engineer", phone="13900000005")
    make_contact(without, "Dora", title="Director", phone="13900000004")
    make_contact(elsewhere, "Gina", title="Manager", phone="13900000007", roles=[ContactRole.TECHNICAL])
    make_contact(elsewhere, "Frank", title="Fitter", phone="13900000006")
    for day, company in enumerate((with_roles, without, elsewhere), start=1):
        make_visit(company, local(2026, 12, day, 9), local(2026, 12, day, 10), users=[me])
    named = ['<td class="c-contact">Bob Buyer<br>13900000002</td>',
             '<td class="c-contact">Dora Director<br>13900000004</td>']
    other = '<td class="c-contact">Gina Manager<br>13900000007</td>'
    body = client.get(f"/visits/schedule?week={MONDAY}").get_data(as_text=True)
    assert all(cell in body for cell in named) and "宁波外区" not in body
    assert not any(name in body for name in ("Alice", "Carol", "Eve", "Frank", "Gina"))
    body = client.get(f"/visits/schedule?week={MONDAY}&who=u:{me.id}").get_data(as_text=True)
    assert all(cell in body for cell in [*named, other])
