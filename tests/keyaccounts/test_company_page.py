"""A key account's company page at size: its care card, three-line map, plan, machines and orders read
in a fixed number of queries however many people, machines, parts and orders the account has."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Order
from app.equipment.models import InstalledEquipment, MachineModel, MoveKind, PartStock, SparePart, StockMove, model_key
from app.extensions import db
from app.keyaccounts.models import AccountPlan, Measure, PlanObjective, Touch, TouchKind

# The page of a key account with a plan, machines and people on every line, with the signed-in user and
# the header's: 25 (29 before the people came with their roles, the plan with its objectives and the
# year's figures and the region's cadence rules with its settings; 38 before the care card reused the
# page's people, orders and rules, parts availability became one query and the plan's and care's
# small counts were read together).
MOST_QUERIES = 24  # the service facts are read once for the service card and care (a memo)


def _machines(company, n: int, parts_per_model: int, stocked: int):
    """n machines of n models, each model using its own parts; `stocked` parts of each at their minimum."""
    for m in range(n):
        model = MachineModel(name=f"GX-{company.id}-{m}", key=model_key(f"GX-{company.id}-{m}"))
        parts = [SparePart(number=f"P-{company.id}-{m}-{p}", name="主轴轴承", unit_cost_cents=100, models=[model])
                 for p in range(parts_per_model)]
        db.session.add_all([model, *parts,
                            InstalledEquipment(company=company, region_id=company.region_id, model=model,
                                               serial=f"SN-{company.id}-{m}", site="一车间")])
        db.session.flush()
        for i, part in enumerate(parts):
            db.session.add(PartStock(region_id=company.region_id, part_id=part.id, minimum=2))
            if i < stocked:
                db.session.add(StockMove(region_id=company.region_id, part_id=part.id, kind=MoveKind.RECEIVE,
                                         quantity=2))
    db.session.commit()


def _account(make_key_account, make_tie, user, *, people: int, machines: int, orders: int):
    company = make_key_account(owner_id=user.id)
    today = date.today()
    for i in range(people):
        role, line = [("decision_maker", "management"), ("workshop_director", "business"),
                      ("equipment_manager", "technical")][i % 3]
        contact = make_tie(company, role, line, holder=user, last=today - timedelta(days=5), name=f"联系人{i:03d}")
        db.session.add(Touch(company_id=company.id, contact_id=contact.id, line=contact.line, kind=TouchKind.CALL,
                             touched_on=today - timedelta(days=5), by_id=user.id))
    for i in range(orders):
        db.session.add(Order(company=company, amount_cents=100_00 * (i + 1), ordered_on=today - timedelta(days=i * 20)))
    db.session.add(AccountPlan(company=company, year=today.year, owner_id=user.id, visit_days=12))
    db.session.commit()
    _machines(company, machines, parts_per_model=4, stocked=3)
    return company


def _queries(client, queries, url) -> int:
    client.get(url)  # warm up: the session's user and the catalog
    with queries() as q:
        assert client.get(url).status_code == 200
    return len(q)


def test_a_key_account_page_reads_in_a_fixed_number_of_queries(client, login_as, make_key_account, make_tie,
                                                                queries):
    user = login_as("rep", "Wenzhou")
    small = _account(make_key_account, make_tie, user, people=3, machines=1, orders=2)
    large = _account(make_key_account, make_tie, user, people=30, machines=6, orders=40)
    few, many = (_queries(client, queries, f"/companies/{c.id}") for c in (small, large))
    print(f"key account page: {few} queries with 3 people and 1 machine, {many} with 30 people and 6 machines")
    assert few == many <= MOST_QUERIES
    body = client.get(f"/companies/{large.id}").get_data(as_text=True)
    # Three of each model's four parts are stocked at their minimum: parts availability reads 75%.
    assert "75% of the parts its machines use are stocked at or above minimum." in body
    assert 'id="three-lines"' in body and "联系人029" in body and "SN-" in body


def test_what_the_page_reads_with_something_else_stays_with_it(client, login_as, make_key_account, make_tie, queries):
    """People come with their roles, the plan with its objectives and the year's figures, the region's
    cadence rules with its settings: none of these is read by a query of its own, once or per row."""
    user = login_as("rep", "Wenzhou")
    company = _account(make_key_account, make_tie, user, people=12, machines=1, orders=5)
    plan = db.session.scalar(select(AccountPlan).where(AccountPlan.company_id == company.id))
    plan.objectives = [PlanObjective(title=f"目标{i}", measure=measure, target=10)
                       for i, measure in enumerate((Measure.ORDER_COUNT, Measure.TOUCHES, Measure.VISITS))]
    db.session.commit()
    url = f"/companies/{company.id}"
    client.get(url)
    with queries() as q:
        assert client.get(url).status_code == 200

    def reading(table: str) -> list[str]:
        return [s for s in q if re.search(rf"\b(FROM|JOIN) {table}\b", s)]
    assert len(reading("contact_roles")) == 1 and reading("contact_roles") == reading("contacts")
    assert len(reading("plan_objectives")) == 1 and reading("plan_objectives") == reading("account_plans")
    assert "FROM touches" in reading("account_plans")[0]  # the year's touches, counted beside the plan
    assert len(reading("cadence_rules")) == 1 and reading("cadence_rules") == reading("region_account_settings")
    body = client.get(url).get_data(as_text=True)
    assert "目标2" in body and "联系人011" in body
