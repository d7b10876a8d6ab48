"""Rules found in review: experts are read-mostly, head-office data stays admin's, a visit
moved to another company moves to that company's region."""
import pytest
from sqlalchemy import select

from app.accounts.models import Company
from app.auth.models import user_regions
from app.experts.models import Unavailability
from app.extensions import db
from app.visits.models import Visit
from tests.conftest import local
from tests.visits.test_scheduling import form


@pytest.mark.parametrize("url,data", [
    ("/companies/new", {"name": "温州华信眼镜有限公司", "stage": "prospect"}),
    ("/markets/new", {"name": "制笔", "status": "untouched", "goal": "6"}),
    ("/visits/opportunities/new", {"title": "激光焊接线", "stage": "spotted"}),
])
def test_an_expert_cannot_write_accounts_markets_or_opportunities(client, login_as, url, data):
    expert = login_as("expert", "Wenzhou")
    response = client.post(url, data=data | {"region_id": expert.regions[0].id})
    assert response.status_code == 403
    assert db.session.scalar(select(Company)) is None


def test_an_expert_keeps_their_own_unavailable_days(client, login_as, make_expert):
    user = login_as("expert", "Wenzhou")
    expert = make_expert("刘建华", user_id=user.id)
    response = client.post(f"/experts/{expert.id}/unavailable",
                           data={"starts_on": "2026-12-01", "ends_on": "2026-12-03", "reason": "出差"})
    assert response.status_code == 303
    assert db.session.scalar(select(Unavailability.reason)) == "出差"


def test_a_manager_cannot_remove_a_head_office_experts_unavailable_days(client, login_as, make_expert):
    login_as("manager", "Wuxi")
    expert = make_expert("总部专家", head_office=True)
    period = Unavailability(expert_id=expert.id, starts_on=local(2026, 12, 1).date(), ends_on=local(2026, 12, 2).date())
    db.session.add(period)
    db.session.commit()
    assert client.post(f"/experts/{expert.id}/unavailable/{period.id}/delete").status_code == 403
    assert db.session.query(Unavailability).count() == 1


def test_a_visit_moved_to_another_regions_company_moves_region(client, login_as, make_company, make_visit, make_region):
    manager = login_as("manager", "Wenzhou")
    db.session.execute(user_regions.insert().values(user_id=manager.id, region_id=make_region("Wuxi").id))
    db.session.commit()
    wenzhou = make_company("温州华信眼镜有限公司")
    wuxi = make_company("无锡远东电器有限公司", region="Wuxi")
    visit = make_visit(wenzhou, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[manager])
    response = client.post(f"/visits/{visit.id}/edit", data=form(wuxi, users=[manager]))
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    moved = db.session.get(Visit, visit.id)
    assert moved.company_id == wuxi.id and moved.region_id == wuxi.region_id
