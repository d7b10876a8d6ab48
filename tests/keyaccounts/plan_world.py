"""The account-plan records of the access walk's world (tests/test_access.py builds one per region)."""
import secrets
from datetime import date

from app.extensions import db
from app.keyaccounts.models import (
    AccountPlan,
    BuyingCentre,
    CareSpend,
    CellStatus,
    Measure,
    PlanObjective,
    ProductLine,
    SpendCategory,
    WhitespaceCell,
)


def plan_records(region, company, user) -> dict:
    """A 2026 plan of the company with an objective and a spend, a plant of the company and a product
    line of the region, and the cell where they meet."""
    plan = AccountPlan(company=company, year=2026, owner_id=user.id, visit_days=12, care_budget_cents=3_000_000,
                       parts_reserve_cents=2_000_000)
    objective = PlanObjective(plan=plan, title="技术拜访", measure=Measure.TECHNICAL_VISITS, target=4)
    spend = CareSpend(plan=plan, spent_on=date(2026, 3, 1), category=SpendCategory.TRAVEL, amount_cents=50_000,
                      what="差旅", by_id=user.id)
    centre = BuyingCentre(company=company, name="一厂")
    line = ProductLine(region_id=region.id, name=f"激光焊接{secrets.token_hex(3)}")
    db.session.add_all([plan, objective, spend, centre, line])
    db.session.flush()
    db.session.add(WhitespaceCell(centre_id=centre.id, product_line_id=line.id, status=CellStatus.QUOTED))
    db.session.commit()
    return {"account_plan": plan, "plan_objective": objective, "care_spend": spend, "buying_centre": centre,
            "product_line": line}
