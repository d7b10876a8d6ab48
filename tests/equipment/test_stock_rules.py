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
