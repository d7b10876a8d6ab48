"""Stock rules: on hand is the sum of moves; issues, transfers and corrections never take it below zero."""
import pytest
from sqlalchemy import select

from app.equipment import services
from app.equipment.models import MoveKind, PartStock, StockMove
from app.equipment.services import StockError
from app.extensions import db


@pytest.fixture(autouse=True)
def _request(app):
    """Messages are rendered in a request's language."""
    with app.test_request_context():
        yield


def _moves(part):
    return list(db.session.scalars(select(StockMove).where(StockMove.part_id == part.id).order_by(StockMove.id)))


def test_on_hand_is_the_sum_of_moves(app, make_part, make_region, stock):
    part, other = make_part(), make_part()
    row = stock(part, on_hand=5)
    services.receive_part(row.region_id, part.id, 3, reference="送货单 88")
    services.issue_part(row.region_id, part.id, 2, reference="Case 12")
    db.session.commit()
    assert services.on_hand(row.region_id, [part.id, other.id]) == {part.id: 6, other.id: 0}
    assert [(m.kind, m.quantity) for m in _moves(part)] == [
        (MoveKind.RECEIVE, 5), (MoveKind.RECEIVE, 3), (MoveKind.ISSUE, -2)]
    assert services.on_hand(row.region_id, []) == {}


def test_issue_part_returns_the_move_and_flushes_without_committing(app, make_part, stock, make_user):
    part = make_part()
    row = stock(part, on_hand=2)
    user = make_user()
    move = services.issue_part(row.region_id, part.id, 2, reference="Case 7", by=user)
    assert move.id is not None and move.quantity == -2 and move.kind is MoveKind.ISSUE
    assert move.reference == "Case 7" and move.by_id == user.id
    db.session.rollback()
    assert _moves(part)[-1].kind is MoveKind.RECEIVE


@pytest.mark.parametrize("quantity", [0, -1, 1.5, float("nan"), "2", True, None, 10**7])
def test_issue_part_refuses_a_quantity_that_is_not_a_positive_whole_number(app, make_part, stock, quantity):
    part = make_part()
    row = stock(part, on_hand=5)
    with pytest.raises(StockError) as error:
        services.issue_part(row.region_id, part.id, quantity)
    assert str(error.value)
    assert len(_moves(part)) == 1


def test_issue_part_refuses_more_than_on_hand(app, make_part, stock, make_region):
    part = make_part()
    row = stock(part, on_hand=2)
    with pytest.raises(StockError, match="Only 2 on hand"):
        services.issue_part(row.region_id, part.id, 3)
    services.issue_part(row.region_id, part.id, 2)
    with pytest.raises(StockError, match="None of this part"):
        services.issue_part(row.region_id, part.id, 1)
    # A region that never kept the part has none.
    with pytest.raises(StockError, match="None of this part"):
        services.issue_part(make_region("Wuxi").id, part.id, 1)


def test_receive_starts_the_stock_row(app, make_part, make_region):
    part = make_part()
    region = make_region("Wuxi")
    services.receive_part(region.id, part.id, 4)
    db.session.commit()
    row = db.session.scalar(select(PartStock).where(PartStock.region_id == region.id))
    assert row.part_id == part.id and row.minimum == 0 and row.lead_days == 30
    assert services.on_hand(region.id, [part.id]) == {part.id: 4}


def test_transfer_moves_both_sides_paired(app, make_part, stock, make_region):
    part = make_part()
    row = stock(part, on_hand=5)
    wuxi = make_region("Wuxi")
    out, into = services.transfer_part(row.region_id, wuxi.id, part.id, 3, reference="调拨 1")
    db.session.commit()
    assert (out.kind, out.quantity, into.kind, into.quantity) == (MoveKind.TRANSFER_OUT, -3, MoveKind.TRANSFER_IN, 3)
    assert out.transfer_id == into.transfer_id and len(out.transfer_id) == 32
    assert services.on_hand(row.region_id, [part.id]) == {part.id: 2}
    assert services.on_hand(wuxi.id, [part.id]) == {part.id: 3}
    with pytest.raises(StockError, match="Only 2 on hand"):
        services.transfer_part(row.region_id, wuxi.id, part.id, 3)
    with pytest.raises(StockError) as error:
        services.transfer_part(row.region_id, row.region_id, part.id, 1)
    assert error.value.field == "to_region_id"


def test_correction_needs_a_reason_and_never_goes_below_zero(app, make_part, stock):
    part = make_part()
    row = stock(part, on_hand=3)
    with pytest.raises(StockError) as error:
        services.correct_stock(row.region_id, part.id, -1, reason="  ")
    assert error.value.field == "reason"
    with pytest.raises(StockError, match="below zero"):
        services.correct_stock(row.region_id, part.id, -4, reason="盘点少 4")
    with pytest.raises(StockError):
        services.correct_stock(row.region_id, part.id, 0, reason="盘点")
    services.correct_stock(row.region_id, part.id, -3, reason="盘点：损坏 3 件")
    services.correct_stock(row.region_id, part.id, 2, reason="盘点：找到 2 件")
    db.session.commit()
    assert services.on_hand(row.region_id, [part.id]) == {part.id: 2}
    assert _moves(part)[-2].reason == "盘点：损坏 3 件"


def test_parts_for_models_by_row_id_or_name(app, make_part, make_model):
    gx, hx = make_model("GX-500"), make_model("HX-800")
    a = make_part("A-1", models=["GX-500"])
    b = make_part("B-1", models=["GX-500", "HX-800"])
    make_part("C-1", models=["HX-800"])
    assert services.parts_for_models([gx]) == [a, b]
    assert services.parts_for_models([gx.id]) == [a, b]
    assert services.parts_for_models(["gx 500"]) == [a, b]
    assert [p.number for p in services.parts_for_models(["HX-800", gx])] == ["A-1", "B-1", "C-1"]
    assert services.parts_for_models([]) == [] and services.parts_for_models(["nope"]) == []


# ---- suggested minimum


def _suggested(region_id, part, lead_days=30):
    return services.suggestions(region_id, [part], {part.id: lead_days})[part.id]


def test_suggested_minimum_from_the_installed_base(app, make_part, make_company, make_machine, make_region):
    part = make_part(models=["GX-500", "GX-800"], rate="0.5")
    plant = make_company()
    for _ in range(60):
        make_machine(plant, "GX-500")
    for _ in range(40):
        make_machine(plant, "GX-800")
    make_machine(plant, "HX-100")                            # a model the part does not fit
    make_machine(make_company(region="Wuxi"), "GX-500")      # another region's machine
    s = _suggested(plant.region_id, part, lead_days=60)
    # ceil(100 × 0.5 × 60 / 365) = ceil(8.22) = 9
    assert (s.installed, s.lead_days, s.tier_a, s.expected, s.value) == (100, 60, False, 9, 9)


def test_suggested_minimum_is_not_rounded_up_when_exact(app, make_part, make_company, make_machine):
    part = make_part(rate="1")
    plant = make_company()
    for _ in range(73):
        make_machine(plant)
    assert _suggested(plant.region_id, part, lead_days=5).value == 1  # 73 × 1 × 5 / 365 = 1 exactly


def test_a_tier_a_key_account_running_the_model_adds_one(app, make_part, make_company, make_key_account, make_machine):
    part = make_part(rate="0.15")
    region_id = make_company().region_id
    make_machine(make_key_account(tier="B"))
    assert _suggested(region_id, part).value == 1                 # ceil(1 × 0.15 × 30 / 365) = 1
    make_machine(make_key_account(tier="A"), "HX-100")            # tier A, but another model
    make_machine(make_key_account(tier="A", region="Wuxi"))       # tier A, but another region
    make_machine(make_company(stage="won", tier="A"))             # tier A left on a company that is not a key account
    assert _suggested(region_id, part).tier_a is False
    make_machine(make_key_account(tier="A"))
    s = _suggested(region_id, part)
    assert (s.installed, s.expected, s.tier_a, s.value) == (3, 1, True, 2)


def test_no_machines_no_suggestion(app, make_part, make_region):
    part = make_part(rate="10")
    s = _suggested(make_region().id, part)
    assert (s.installed, s.value) == (0, 0)


def test_taking_the_suggestion_sets_the_minimum_and_its_source(app, make_part, make_company, make_machine, stock):
    from app.equipment.models import MinSource
    part = make_part(rate="2")
    plant = make_company()
    for _ in range(10):
        make_machine(plant)
    row = stock(part, minimum=1, lead_days=73)
    assert services.take_suggestion(row) == 4                     # 10 × 2 × 73 / 365 = 4
    db.session.commit()
    assert (row.minimum, row.min_source) == (4, MinSource.SUGGESTED)
    services.set_policy(row, minimum=5, maximum=8, lead_days=73)
    assert (row.minimum, row.maximum, row.min_source) == (5, 8, MinSource.MANUAL)


# ---- the reorder list and parts availability


def test_reorder_lists_parts_below_minimum_with_what_to_order_and_the_machines(
        app, make_part, make_company, make_key_account, make_machine, stock):
    low, ok, none_max = make_part("A-1"), make_part("B-1"), make_part("C-1", models=["HX-100"])
    account = make_key_account(name="温州华信眼镜有限公司", tier="A")
    make_machine(account)
    make_machine(account)
    make_machine(make_company())
    stock(low, on_hand=1, minimum=3, maximum=10)
    stock(ok, on_hand=3, minimum=3, maximum=10)
    row = stock(none_max, minimum=2)
    stock(make_part("D-1"), region="Wuxi", minimum=5)
    lines = services.reorder_lines(row.region_id)
    assert [(line.number, line.on_hand, line.minimum, line.to_order) for line in lines] == [("A-1", 1, 3, 9), ("C-1", 0, 2, 2)]
    (need,) = lines[0].machines
    assert (need.model_name, need.installed, [c.name for c in need.accounts], need.more_accounts) == (
        "GX-500", 3, ["温州华信眼镜有限公司"], 0)
    assert lines[0].order_cents == 9 * 12_000
    assert lines[1].machines == []


def test_parts_availability_is_the_share_of_the_companys_parts_at_or_above_minimum(
        app, make_part, make_company, make_machine, stock):
    a, b, c = make_part(models=["GX-500"]), make_part(models=["GX-500", "HX-100"]), make_part(models=["HX-100"])
    make_part(models=["ZZ-9"])
    one, two, bare = make_company(), make_company(), make_company()
    far = make_company(region="Wuxi")
    make_machine(one, "GX-500")
    make_machine(two, "GX-500")
    make_machine(two, "HX-100")
    make_machine(far, "HX-100")
    stock(a, on_hand=2, minimum=2)       # at minimum
    stock(b, on_hand=0, minimum=1)       # below
    stock(c, on_hand=5, minimum=1)       # above in Wenzhou
    stock(c, region="Wuxi", minimum=1)   # below in Wuxi
    shares = services.parts_availability([one.id, two.id, bare.id, far.id])
    # Wuxi keeps no stock row of b (minimum 0: at its minimum) and has c below its minimum.
    assert shares == {one.id: 0.5, two.id: 2 / 3, bare.id: 1.0, far.id: 0.5}
    assert services.parts_availability([]) == {}


def test_stock_query_lists_kept_and_needed_parts_and_filters_below_minimum(app, make_part, make_company, make_machine,
                                                                            stock):
    kept, needed, unrelated = make_part("A-1", models=["HX-100"]), make_part("B-1"), make_part("C-1", models=["ZZ-9"])
    row = stock(kept, on_hand=1, minimum=2)
    make_machine(make_company())
    region_id = row.region_id
    parts = list(db.session.scalars(services.stock_query(region_id)))
    assert [p.number for p in parts] == ["A-1", "B-1"]
    assert [p.number for p in db.session.scalars(services.stock_query(region_id, below=True))] == ["A-1"]
    assert [p.number for p in db.session.scalars(services.stock_query(region_id, q="b-"))] == ["B-1"]
    lines = services.stock_lines(region_id, parts)
    assert [(line.on_hand, line.minimum, line.below_minimum, line.stock is None) for line in lines] == [
        (1, 2, True, False), (0, 0, False, True)]


def test_reorder_names_the_first_key_accounts_by_tier_and_counts_the_rest(app, make_part, make_key_account,
                                                                         make_company, make_machine, stock):
    row = stock(make_part("A-1"), minimum=1)
    for i, tier in enumerate("CCBCACB"):
        make_machine(make_key_account(name=f"温州{i}号眼镜有限公司", tier=tier))
    make_machine(make_company())  # not a key account
    (line,) = services.reorder_lines(row.region_id)
    (need,) = line.machines
    assert need.installed == 8 and need.account_count == 7 and need.more_accounts == 4
    assert [c.tier.value for c in need.accounts] == ["A", "B", "B"]
