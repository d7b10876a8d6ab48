"""Associations: list, search, filters, create/edit, membership lifecycle, renewals due."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.associations.models import Association, Membership, MembershipStatus
from app.extensions import db

TODAY = date.today()


def test_list_search_and_filters(client, login_as, make_market, make_association, make_term):
    login_as("rep", "Wenzhou")
    eyewear, pens = make_market("眼镜"), make_market("制笔")
    glasses = make_association("温州市眼镜商会", markets=[eyewear], contact_name="周秘书")
    pen = make_association("温州制笔协会", markets=[pens])
    make_association("无锡电子商会", region="Wuxi")
    make_term(glasses, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=365))
    make_term(pen, status=MembershipStatus.LAPSED)
    body = client.get("/associations/").get_data(as_text=True)
    assert "温州市眼镜商会" in body and "温州制笔协会" in body and "无锡电子商会" not in body
    response = client.htmx("get", "/associations/?q=周秘书")
    body = response.get_data(as_text=True)
    assert "<html" not in body and "温州市眼镜商会" in body and "温州制笔协会" not in body
    body = client.get(f"/associations/?market={pens.id}").get_data(as_text=True)
    assert "温州制笔协会" in body and "温州市眼镜商会" not in body
    body = client.get("/associations/?status=active").get_data(as_text=True)
    assert "温州市眼镜商会" in body and "温州制笔协会" not in body
    body = client.get("/associations/?status=none").get_data(as_text=True)
    assert "温州市眼镜商会" not in body and "温州制笔协会" not in body


def test_filter_uses_the_latest_term(client, login_as, make_association, make_term):
    login_as("rep", "Wenzhou")
    association = make_association()
    make_term(association, status=MembershipStatus.ACTIVE, joined_on=TODAY - timedelta(days=800),
              expires_on=TODAY - timedelta(days=436))
    make_term(association, status=MembershipStatus.LAPSED)
    assert "温州市眼镜商会" not in client.get("/associations/?status=active").get_data(as_text=True)
    assert "温州市眼镜商会" in client.get("/associations/?status=lapsed").get_data(as_text=True)


def test_create_and_edit_association(client, login_as, make_market):
    user = login_as("manager", "Wenzhou")
    market = make_market("眼镜")
    response = client.post("/associations/new", data={
        "name": "温州市眼镜商会", "region_id": user.regions[0].id, "market_ids": [market.id], "contact_name": "周秘书",
        "contact_phone": "0577-88880000", "website": "https://glasses.example.cn", "member_count": "320"})
    assert response.status_code == 303
    association = db.session.scalar(select(Association))
    assert association.markets == [market] and association.member_count == 320
    response = client.post(f"/associations/{association.id}/edit", data={
        "name": "温州眼镜商会", "region_id": association.region_id, "market_ids": [], "member_count": ""})
    assert response.status_code == 303
    db.session.refresh(association)
    assert association.name == "温州眼镜商会" and association.markets == []


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "Enter the association"),
    ({"name": "新协会", "website": "glasses"}, "Enter a web address"),
    ({"name": "新协会", "member_count": "-3"}, "Enter a number of companies"),
    ({"name": "温州市眼镜商会"}, "already has an association of that name"),
])
def test_association_errors(client, login_as, make_association, data, message):
    user = login_as("manager", "Wenzhou")
    make_association()
    response = client.htmx("post", "/associations/new", data={"region_id": user.regions[0].id, **data})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(Association).count() == 1


def test_membership_lifecycle(client, login_as, make_association):
    user = login_as("manager", "Wenzhou")
    association = make_association()
    response = client.htmx("post", f"/associations/{association.id}/memberships", data={
        "status": "prospect", "fee": "¥3,000.50", "level": "会员单位", "representative_id": user.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'id="membership"' in body
    term = db.session.scalar(select(Membership))
    assert term.fee_cents == 300050 and term.status is MembershipStatus.PROSPECT
    url = f"/associations/{association.id}/memberships/{term.id}/status"
    assert client.htmx("post", url, data={"status": "applied"}).status_code == 200
    assert client.htmx("post", url, data={"status": "active"}).status_code == 200
    db.session.refresh(term)
    assert term.status is MembershipStatus.ACTIVE and term.joined_on == TODAY and term.expires_on > TODAY
    response = client.htmx("post", url, data={"status": "prospect"})
    assert response.status_code == 422 and "cannot become that" in response.get_data(as_text=True)
    db.session.refresh(term)
    assert term.status is MembershipStatus.ACTIVE
    response = client.post(url, data={"status": "lapsed"})
    assert response.status_code == 303
    db.session.refresh(term)
    assert term.status is MembershipStatus.LAPSED


@pytest.mark.parametrize("data,message", [
    ({"status": "active", "fee": "100"}, "needs the date we joined"),
    ({"status": "prospect", "fee": "abc"}, "Enter an amount like 1,500.00."),
    ({"status": "prospect", "fee": "1.234"}, "Enter an amount like 1,500.00."),
    ({"status": "prospect", "joined_on": "2026-05-01", "expires_on": "2026-01-01"}, "cannot end before it starts"),
])
def test_membership_errors(client, login_as, make_association, data, message):
    login_as("manager", "Wenzhou")
    association = make_association()
    response = client.htmx("post", f"/associations/{association.id}/memberships", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.query(Membership).count() == 0


def test_renewal_adds_a_term_and_keeps_the_old(client, login_as, make_association, make_term):
    login_as("manager", "Wenzhou")
    association = make_association()
    old = make_term(association, status=MembershipStatus.ACTIVE, joined_on=date(2026, 1, 1),
                    expires_on=date(2026, 12, 31), fee_cents=300000, level="理事单位")
    response = client.htmx("post", f"/associations/{association.id}/memberships/{old.id}/renew",
                           data={"renew-expires_on": "2027-12-31", "renew-fee": "3500"})
    assert response.status_code == 200, response.get_data(as_text=True)
    terms = db.session.scalars(select(Membership).order_by(Membership.id)).all()
    assert len(terms) == 2
    assert (terms[0].joined_on, terms[0].expires_on, terms[0].fee_cents) == (date(2026, 1, 1), date(2026, 12, 31), 300000)
    new = terms[1]
    assert (new.joined_on, new.expires_on, new.fee_cents, new.level, new.status) == (
        date(2027, 1, 1), date(2027, 12, 31), 350000, "理事单位", MembershipStatus.ACTIVE)
    assert "History" in response.get_data(as_text=True)


def test_renewal_needs_an_end_date(client, login_as, make_association, make_term):
    login_as("manager", "Wenzhou")
    association = make_association()
    old = make_term(association, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=10))
    response = client.htmx("post", f"/associations/{association.id}/memberships/{old.id}/renew", data={"renew-fee": "1"})
    assert response.status_code == 422 and "Enter the date the new term ends." in response.get_data(as_text=True)
    assert db.session.query(Membership).count() == 1


def test_edit_term(client, login_as, make_association, make_term):
    login_as("manager", "Wenzhou")
    association = make_association()
    term = make_term(association, status=MembershipStatus.APPLIED, fee_cents=100)
    url = f"/associations/{association.id}/memberships/{term.id}/edit"
    assert "1.00" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"status": "applied", "fee": "2000", "level": "会员"})
    assert response.status_code == 303
    db.session.refresh(term)
    assert term.fee_cents == 200000 and term.level == "会员"


def test_renewals_due_page(client, login_as, make_association, make_term):
    login_as("rep", "Wenzhou")
    soon = make_association("温州市眼镜商会")
    make_term(soon, status=MembershipStatus.ACTIVE, joined_on=TODAY - timedelta(days=300), expires_on=TODAY + timedelta(days=59))
    later = make_association("温州制笔协会")
    make_term(later, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=61))
    overdue = make_association("温州包装协会")
    make_term(overdue, status=MembershipStatus.ACTIVE, joined_on=TODAY - timedelta(days=400), expires_on=TODAY - timedelta(days=5))
    renewed = make_association("乐清电器商会")
    make_term(renewed, status=MembershipStatus.ACTIVE, joined_on=TODAY - timedelta(days=360), expires_on=TODAY + timedelta(days=5))
    make_term(renewed, status=MembershipStatus.ACTIVE, joined_on=TODAY + timedelta(days=6), expires_on=TODAY + timedelta(days=370))
    other = make_association("无锡电子商会", region="Wuxi")
    make_term(other, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=3))
    body = client.get("/associations/renewals").get_data(as_text=True)
    assert "温州市眼镜商会" in body and "温州包装协会" in body
    assert "温州制笔协会" not in body and "乐清电器商会" not in body and "无锡电子商会" not in body
    assert body.index("温州包装协会") < body.index("温州市眼镜商会")  # soonest first
    assert "ended 5 days ago" in body and "in 59 days" in body
    detail = client.get(f"/associations/{soon.id}").get_data(as_text=True)
    assert "Renewal due" in detail
    assert "Renewal due" not in client.get(f"/associations/{later.id}").get_data(as_text=True)


def test_detail_page_members_and_fragment(client, login_as, make_association, make_company):
    login_as("rep", "Wenzhou")
    members = [make_company(f"温州{i}号眼镜有限公司") for i in range(30)]
    association = make_association(members=members)
    body = client.get(f"/associations/{association.id}").get_data(as_text=True)
    assert "30 in Grove" in body and "Import member directory" in body
    response = client.htmx("get", f"/associations/{association.id}?page=2")
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="members"' in body and "26–30 of 30" in body


@pytest.mark.parametrize("method,path", [
    ("get", ""), ("get", "/edit"), ("post", "/edit"), ("post", "/memberships"), ("get", "/import")])
def test_other_region_association_is_404(client, login_as, make_association, method, path):
    login_as("rep", "Wenzhou")
    other = make_association("无锡电子商会", region="Wuxi")
    response = client.open(f"/associations/{other.id}{path}", method=method.upper(), data={"status": "prospect"})
    assert response.status_code == 404
    assert db.session.query(Membership).count() == 0


def test_other_region_term_is_404(client, login_as, make_association, make_term):
    login_as("rep", "Wenzhou")
    mine = make_association()
    other = make_association("无锡电子商会", region="Wuxi")
    term = make_term(other, status=MembershipStatus.PROSPECT)
    for url in (f"/associations/{other.id}/memberships/{term.id}/status",
                f"/associations/{mine.id}/memberships/{term.id}/status",
                f"/associations/{other.id}/memberships/{term.id}/renew"):
        assert client.post(url, data={"status": "applied"}).status_code == 404
    db.session.refresh(term)
    assert term.status is MembershipStatus.PROSPECT


@pytest.mark.parametrize("path", ["/associations/", "/associations/renewals", "/associations/new", "/associations/1"])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/associations/", "/associations/renewals", "/associations/{id}"])
def test_constant_queries(client, login_as, make_association, make_company, make_term, make_market, queries, path):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")

    def seed(n, tag):
        for i in range(n):
            association = make_association(f"{tag}{i}商会", markets=[market],
                                           members=[make_company(f"{tag}{i}-{j}号眼镜有限公司") for j in range(3)])
            make_term(association, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=10 + i))
            make_term(association, status=MembershipStatus.APPLIED, joined_on=TODAY, expires_on=TODAY + timedelta(days=20 + i))
    seed(2, "甲")
    first = db.session.scalar(select(Association.id).order_by(Association.id))
    url = path.format(id=first)
    client.get(url)
    db.session.expire_all()
    with queries() as small:
        assert client.get(url).status_code == 200
    seed(12, "乙")
    client.get(url)
    db.session.expire_all()
    with queries() as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), (small, large)
