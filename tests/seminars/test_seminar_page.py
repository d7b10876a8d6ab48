"""The staff seminar pages: market and association of the chosen region only, the abstract under a
heading of its own, cancelling away from publishing and confirmed on purpose, head-office experts
as speakers, and no public QR code for a draft."""
import re

import pytest
from sqlalchemy import func, select

from app.experts.models import Expert, Organisation
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Seminar, SeminarStatus

NEW = {"title": "激光焊接讲座", "abstract": "", "venue": "商会报告厅", "address": "", "starts_at": "2030-03-05T14:00",
       "ends_at": "2030-03-05T17:00", "capacity": "40", "waitlist_enabled": "y"}


def options(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", block)]


@pytest.fixture
def two_regions(make_region, make_market, make_association):
    wenzhou, wuxi = make_region("Wenzhou"), make_region("Wuxi")
    return {"wenzhou": wenzhou, "wuxi": wuxi,
            "eyewear": make_market("眼镜", "Wenzhou"), "electrical": make_market("电器", "Wuxi"),
            "chamber": make_association("温州市眼镜商会", "Wenzhou"), "wuxi_assoc": make_association("无锡电器协会", "Wuxi")}


def test_choices_are_those_of_the_chosen_region(client, login_as, two_regions):
    login_as("admin", None)
    page = client.get("/seminars/new").get_data(as_text=True)
    region_select = re.search(r'<select[^>]*id="region_id"[^>]*>', page).group(0)
    assert 'hx-get="/seminars/new"' in region_select and 'hx-target="#region-choices"' in region_select
    assert options(page, "market_id")[1:] == ["眼镜"] and options(page, "association_id")[1:] == ["温州市眼镜商会"]

    wuxi = two_regions["wuxi"].id
    fragment = client.htmx("get", f"/seminars/new?region_id={wuxi}", target="region-choices")
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="region-choices"')
    assert options(html, "market_id")[1:] == ["电器"] and options(html, "association_id")[1:] == ["无锡电器协会"]
    # Without script, the page itself for that region.
    assert options(client.get(f"/seminars/new?region_id={wuxi}").get_data(as_text=True), "market_id")[1:] == ["电器"]


@pytest.mark.parametrize("field,other,message", [
    ("market_id", "electrical", "This market is not one of the chosen region"),
    ("association_id", "wuxi_assoc", "This association is not one of the chosen region"),
])
def test_a_choice_of_another_region_is_refused_at_the_field(client, login_as, two_regions, field, other, message):
    login_as("admin", None)
    data = {**NEW, "region_id": two_regions["wenzhou"].id, field: two_regions[other].id}
    response = client.post("/seminars/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and re.search(rf'id="{field}-error">{message}', html)
    assert db.session.scalar(select(func.count()).select_from(Seminar)) == 0
    # The same choice with its own region is fine.
    response = client.post("/seminars/new", data={**data, "region_id": two_regions["wuxi"].id})
    assert response.status_code == 303


def test_an_edit_cannot_move_a_seminar_to_another_regions_market(client, login_as, make_seminar, two_regions):
    seminar = make_seminar()
    login_as("manager", "Wenzhou")
    page = client.get(f"/seminars/{seminar.id}/edit").get_data(as_text=True)
    assert options(page, "market_id")[1:] == ["眼镜"]
    local = {**NEW, "region_id": seminar.region_id, "market_id": two_regions["electrical"].id}
    response = client.post(f"/seminars/{seminar.id}/edit", data=local)
    assert response.status_code == 422 and "This market is not one of the chosen region" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Seminar, seminar.id).market_id is None


def test_the_abstract_has_its_own_heading_not_the_speakers(client, login_as, make_seminar):
    seminar = make_seminar(abstract="节能改造案例与答疑。")
    login_as("rep")
    html = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    abstract = re.search(r'<section class="seminar-abstract"[^>]*>(.*?)</section>', html, re.S).group(1)
    assert '<h2 id="abstract-heading">Abstract</h2>' in abstract and "节能改造案例与答疑。" in abstract
    program = re.search(r'<section id="program".*?</section>', html, re.S).group(0)
    assert "节能改造案例与答疑" not in program


def test_cancelling_is_away_from_publishing_and_confirmed(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(status=SeminarStatus.DRAFT)
    login_as("rep")
    html = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    actions = re.search(r'<div class="actions">(.*?)</div>\s*</div>', html, re.S).group(1)
    assert 'value="open"' in actions and 'value="cancelled"' not in actions and "Cancel" not in actions
    danger = html[html.index('<section class="danger-zone"'):]
    assert html.index('id="registrations"') < html.index('class="danger-zone"')
    assert 'value="cancelled"' in danger and 'name="confirm" value="yes"' in danger

    seminar.status = SeminarStatus.OPEN
    db.session.commit()
    make_registration(seminar, email="a@example.com")
    refused = client.post(f"/seminars/{seminar.id}/status", data={"status": "cancelled"})
    assert refused.status_code == 422
    assert re.search(r'id="confirm-cancel-error">Tick the box to confirm', refused.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Seminar, seminar.id).status is SeminarStatus.OPEN
    assert db.session.scalars(select(OutboxMessage)).all() == []
    done = client.post(f"/seminars/{seminar.id}/status", data={"status": "cancelled", "confirm": "yes"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Seminar, seminar.id).status is SeminarStatus.CANCELLED
    assert [m.to for m in db.session.scalars(select(OutboxMessage))] == ["a@example.com"]
    # Publishing stays one click.
    assert client.post(f"/seminars/{seminar.id}/status", data={"status": "draft"}).status_code == 303


def test_head_office_experts_can_speak(client, login_as, make_seminar, make_region):
    seminar = make_seminar()
    local = Expert(region=make_region("Wenzhou"), name="陈工", organisation=Organisation.RND, title="高级工程师")
    head = Expert(region=None, name="周总工", organisation=Organisation.RND, title="首席工程师")
    elsewhere = Expert(region=make_region("Wuxi"), name="无锡专家", organisation=Organisation.RND)
    db.session.add_all([local, head, elsewhere])
    db.session.commit()
    login_as("rep")
    html = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    assert options(html, "speaker-expert_id") == ["陈工 · 高级工程师", "周总工 · 首席工程师 · head office"]
    response = client.htmx("post", f"/seminars/{seminar.id}/speakers",
                           data={"speaker-expert_id": head.id, "speaker-talk_title": "注塑机节能"})
    assert response.status_code == 200 and "周总工" in response.get_data(as_text=True)
    refused = client.htmx("post", f"/seminars/{seminar.id}/speakers", data={"speaker-expert_id": elsewhere.id})
    assert refused.status_code == 422
    db.session.expire_all()
    assert [s.expert_id for s in db.session.get(Seminar, seminar.id).speakers] == [head.id]
    assert "周总工" in client.get(f"/s/{seminar.slug}").get_data(as_text=True)


def test_a_drafts_qr_code_is_not_public(client, login_as, make_seminar):
    draft = make_seminar(status=SeminarStatus.DRAFT)
    for kind in ("svg", "png"):
        assert client.get(f"/s/{draft.slug}/qr.{kind}").status_code == 404
    staff_qr = client.get(f"/seminars/{draft.id}/qr.svg")
    assert staff_qr.status_code == 302 and "/login" in staff_qr.headers["Location"]
    login_as("rep")
    assert client.get(f"/seminars/{draft.id}/qr.svg").mimetype == "image/svg+xml"
    assert client.get(f"/seminars/{draft.id}/qr.png").data.startswith(b"\x89PNG")
    page = client.get(f"/seminars/{draft.id}").get_data(as_text=True)
    assert f'src="/seminars/{draft.id}/qr.svg"' in page and f"/s/{draft.slug}/qr" not in page
    draft.status = SeminarStatus.OPEN
    db.session.commit()
    assert client.get(f"/s/{draft.slug}/qr.svg").status_code == 200


def test_another_regions_seminar_qr_is_404(client, login_as, make_seminar):
    seminar = make_seminar(region="Wuxi", status=SeminarStatus.DRAFT)
    login_as("rep", "Wenzhou")
    assert client.get(f"/seminars/{seminar.id}/qr.svg").status_code == 404
