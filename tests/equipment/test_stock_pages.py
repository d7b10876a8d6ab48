"""A region's stock page, a part's stock page with its moves, and the to-reorder list with its exports:
pages and fragments, moves through HTTP, bad input at the field, regions and roles, constant queries."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.audit import AuditEntry
from app.auth.models import user_regions
from app.equipment import services
from app.equipment.models import MinSource, MoveKind, PartStock, StockMove
from app.extensions import db
from tests.conftest import assert_whole_page


def _moves(stock) -> list[tuple]:
    db.session.expire_all()
    return [(m.region_id, m.kind, m.quantity) for m in db.session.scalars(
        select(StockMove).where(StockMove.part_id == stock.part_id).order_by(StockMove.id))]


def _on_hand(stock) -> int:
    return services.on_hand(stock.region_id, [stock.part_id])[stock.part_id]


def _audit() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _join(user, region) -> None:
    db.session.execute(user_regions.insert().values(user_id=user.id, region_id=region.id))
    db.session.commit()


@pytest.fixture
def bearing(make_part, make_company, make_key_account, make_machine, stock):
    """Part P-100 for GX-500 in Wenzhou: 2 on hand, minimum 3, maximum 8; 20 machines, one at a tier-A account."""
    part = make_part("P-100", name="主轴轴承", rate="0.5", cost=15_000)
    plant = make_company()
    for _ in range(19):
        make_machine(plant)
    make_machine(make_key_account(name="温州华信眼镜有限公司", tier="A"))
    return stock(part, on_hand=2, minimum=3, maximum=8, lead_days=73)


# ---- the region's stock page


def test_stock_page_shows_on_hand_levels_and_the_suggestion_with_its_inputs(client, login_as, bearing, make_part):
    make_part("P-200", models=["ZZ-9"])  # no machine uses it and Wenzhou does not keep it: not listed
    login_as("rep")
    response = client.get("/stock/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert "P-100" in body and "P-200" not in body and "Below minimum" in body
    # 20 × 0.5 × 73 / 365 = 2, + 1 for the tier-A account
    assert "20 machines × 0.5 a year × 73 days ÷ 365 = 2" in body and "+ 1 for a tier-A account" in body
    assert f'href="/stock/{bearing.id}"' in body and "Keep another part in this region" in body


def test_stock_page_fragment_and_filters(client, login_as, bearing, make_part, stock):
    stock(make_part("P-300", name="皮带"), on_hand=5, minimum=1)
    login_as("rep")
    response = client.htmx("get", "/stock/?below=1", target="results")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "P-100" in body and "P-300" not in body
    body = client.htmx("get", "/stock/?q=皮带", target="results").get_data(as_text=True)
    assert "P-300" in body and "P-100" not in body


def test_stock_page_of_another_region_is_404_and_admin_picks_any(client, login_as, bearing, make_region):
    wuxi = make_region("Wuxi")
    login_as("rep")
    assert client.get(f"/stock/?region={wuxi.id}").status_code == 404
    assert client.get(f"/stock/reorder?region={wuxi.id}").status_code == 404
    assert client.get(f"/stock/reorder.csv?region={wuxi.id}").status_code == 404
    client.post("/logout")
    login_as("admin", None)
    assert client.get(f"/stock/?region={wuxi.id}").status_code == 200


def test_expert_reads_stock_without_write_buttons(client, login_as, bearing):
    login_as("expert")
    body = client.get("/stock/").get_data(as_text=True)
    assert "P-100" in body and "Keep another part" not in body
    body = client.get(f"/stock/{bearing.id}").get_data(as_text=True)
    assert "2" in body and "receive-form" not in body and "issue-form" not in body and "policy-form" not in body
    assert "Make the suggested" not in body
    for action in ("receive", "issue", "correct", "policy", "take-suggestion", "transfer"):
        assert client.post(f"/stock/{bearing.id}/{action}", data={f"{action}-quantity": "1"}).status_code == 403
    assert client.post("/stock/add", data={"region_id": bearing.region_id, "part_number": "P-100"}).status_code == 403
    assert _on_hand(bearing) == 2


def test_anonymous_is_sent_to_sign_in(client, bearing):
    for url in ("/stock/", f"/stock/{bearing.id}", "/stock/reorder", "/stock/reorder.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/stock/{bearing.id}/issue", data={"issue-quantity": "1"}).status_code == 302
    assert _on_hand(bearing) == 2


def test_start_keeping_a_part(client, login_as, make_part, make_region):
    part = make_part("P-900")
    login_as("rep")
    refused = client.post("/stock/add", data={"region_id": make_region().id, "part_number": "P-999"})
    assert refused.status_code == 422 and "No part with this number in the catalogue." in refused.get_data(as_text=True)
    refused = client.htmx("post", "/stock/add", target="add-stock",
                          data={"region_id": make_region("Wuxi").id, "part_number": "P-900"})
    assert refused.status_code == 422 and "Choose one of your regions." in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PartStock)) == 0
    response = client.post("/stock/add", data={"region_id": make_region().id, "part_number": "P-900"})
    row = db.session.scalar(select(PartStock))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/stock/{row.id}")
    assert (row.part_id, row.minimum) == (part.id, 0)


# ---- a part's stock page: moves


def test_stock_item_page_and_fragment(client, login_as, bearing):
    login_as("manager")
    response = client.get(f"/stock/{bearing.id}")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    for form in ("receive-form", "issue-form", "correct-form", "policy-form"):
        assert f'id="{form}"' in body
    assert "Make the suggested 3 the minimum" not in body   # the minimum is already 3
    fragment = client.htmx("get", f"/stock/{bearing.id}?page=1", target="stock-item")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_receive_and_issue_through_the_page(client, login_as, bearing):
    user = login_as("rep")
    response = client.htmx("post", f"/stock/{bearing.id}/receive", target="stock-item",
                           data={"receive-quantity": "5", "receive-reference": "送货单 2026-118"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "5 received." in body
    assert response.headers["HX-Trigger"] == "stockChanged"
    response = client.post(f"/stock/{bearing.id}/issue", data={"issue-quantity": "4", "issue-reference": "Case 31"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/stock/{bearing.id}")
    assert _on_hand(bearing) == 3
    move = db.session.scalars(select(StockMove).order_by(StockMove.id.desc())).first()
    assert (move.kind, move.quantity, move.reference, move.by_id) == (MoveKind.ISSUE, -4, "Case 31", user.id)
    page = client.get(f"/stock/{bearing.id}").get_data(as_text=True)
    assert "Case 31" in page and "送货单 2026-118" in page and "-4" in page


@pytest.mark.parametrize("action, data, field, message", [
    ("issue", {"issue-quantity": "3"}, "issue-quantity", "Only 2 on hand."),
    ("issue", {"issue-quantity": "0"}, "issue-quantity", "Enter a whole number from 1 to"),
    ("issue", {"issue-quantity": "-1"}, "issue-quantity", "Enter a whole number from 1 to"),
    ("issue", {"issue-quantity": "NaN"}, "issue-quantity", ""),
    ("issue", {"issue-quantity": "1.5"}, "issue-quantity", ""),
    ("issue", {}, "issue-quantity", "Enter how many parts."),
    ("receive", {"receive-quantity": "-2"}, "receive-quantity", "Enter a whole number from 1 to"),
    ("receive", {"receive-quantity": "99999999999"}, "receive-quantity", "Enter a whole number from 1 to"),
    ("receive", {"receive-quantity": "Infinity"}, "receive-quantity", ""),
    ("correct", {"correct-quantity": "-1", "correct-reason": ""}, "correct-reason", "Say why the count differs"),
    ("correct", {"correct-quantity": "-3", "correct-reason": "盘点"}, "correct-quantity",
     "Only 2 on hand: a correction cannot take the stock below zero."),
    ("correct", {"correct-quantity": "0", "correct-reason": "盘点"}, "correct-quantity", "Enter how many parts to add"),
    ("transfer", {"transfer-quantity": "1", "transfer-to_region_id": "SELF"}, "transfer-to_region_id",
     "Choose one of your other regions."),
    ("transfer", {"transfer-quantity": "3", "transfer-to_region_id": "WUXI"}, "transfer-quantity", "Only 2 on hand."),
    ("policy", {"policy-minimum": "-1", "policy-lead_days": "30"}, "policy-minimum", "Enter a whole number from 0"),
    ("policy", {"policy-minimum": "5", "policy-maximum": "4", "policy-lead_days": "30"}, "policy-maximum",
     "The maximum cannot be below the minimum."),
    ("policy", {"policy-minimum": "5", "policy-lead_days": "NaN"}, "policy-lead_days", ""),
    ("policy", {"policy-minimum": "5", "policy-lead_days": "400"}, "policy-lead_days", "Enter 0 to 365 days."),
])
def test_bad_moves_are_refused_at_the_field_and_change_nothing(client, login_as, bearing, make_region, action, data,
                                                               field, message):
    user = login_as("manager")
    wuxi = make_region("Wuxi")
    _join(user, wuxi)
    data = {k: {"SELF": str(bearing.region_id), "WUXI": str(wuxi.id)}.get(v, v) for k, v in data.items()}
    before, moves, policy = _audit(), _moves(bearing), (bearing.minimum, bearing.maximum, bearing.lead_days)
    for response in (client.post(f"/stock/{bearing.id}/{action}", data=data),
                     client.htmx("post", f"/stock/{bearing.id}/{action}", target="stock-item", data=data)):
        body = response.get_data(as_text=True)
        assert response.status_code == 422, body[:300]
        assert f'id="{field}-error"' in body and message in body
    assert _moves(bearing) == moves and _audit() == before
    db.session.refresh(bearing)
    assert (bearing.minimum, bearing.maximum, bearing.lead_days) == policy


def test_a_correction_with_its_reason(client, login_as, bearing):
    login_as("rep")
    response = client.post(f"/stock/{bearing.id}/correct", data={"correct-quantity": "-2",
                                                                 "correct-reason": "盘点：2 件锈蚀报废"})
    assert response.status_code == 303 and _on_hand(bearing) == 0
    move = db.session.scalars(select(StockMove).order_by(StockMove.id.desc())).first()
    assert (move.kind, move.quantity, move.reason) == (MoveKind.CORRECTION, -2, "盘点：2 件锈蚀报废")
    assert client.post(f"/stock/{bearing.id}/correct", data={"correct-quantity": "+4",
                                                             "correct-reason": "找到 4 件"}).status_code == 303
    assert _on_hand(bearing) == 4


def test_transfer_both_sides_in_one_go(client, login_as, bearing, make_region):
    user = login_as("rep")
    wuxi = make_region("Wuxi")
    body = client.get(f"/stock/{bearing.id}").get_data(as_text=True)
    assert "transfer-form" not in body  # a rep of one region has nowhere to send parts
    _join(user, wuxi)
    response = client.htmx("post", f"/stock/{bearing.id}/transfer", target="stock-item",
                           data={"transfer-to_region_id": str(wuxi.id), "transfer-quantity": "2",
                                 "transfer-reference": "调拨单 7"})
    assert response.status_code == 200 and "2 sent to Wuxi." in response.get_data(as_text=True)
    assert _moves(bearing)[-2:] == [(bearing.region_id, MoveKind.TRANSFER_OUT, -2), (wuxi.id, MoveKind.TRANSFER_IN, 2)]
    out, into = db.session.scalars(select(StockMove).order_by(StockMove.id.desc()).limit(2)).all()[::-1]
    assert out.transfer_id == into.transfer_id and out.reference == into.reference == "调拨单 7"
    assert _on_hand(bearing) == 0 and services.on_hand(wuxi.id, [bearing.part_id]) == {bearing.part_id: 2}


def test_transfer_into_a_region_the_user_is_not_in_is_refused(client, login_as, bearing, make_region):
    wuxi = make_region("Wuxi")
    login_as("manager")
    for data in ({"transfer-to_region_id": str(wuxi.id), "transfer-quantity": "1"},):
        response = client.post(f"/stock/{bearing.id}/transfer", data=data)
        assert response.status_code == 422 and "Choose one of your other regions." in response.get_data(as_text=True)
    assert _moves(bearing) == [(bearing.region_id, MoveKind.RECEIVE, 2)]
    # The service refuses it too, whatever a form offers.
    with client.application.test_request_context():
        from flask import g
        g.region_scope = [bearing.region_id]
        with pytest.raises(Exception) as refused:
            services.transfer_part(bearing.region_id, wuxi.id, bearing.part_id, 1)
        assert getattr(refused.value, "code", None) == 403
    db.session.rollback()


def test_another_regions_stock_is_404(client, login_as, make_part, stock):
    far = stock(make_part(), region="Wuxi", on_hand=3)
    login_as("manager", "Wenzhou")
    assert client.get(f"/stock/{far.id}").status_code == 404
    for action in ("receive", "issue", "correct", "transfer", "policy", "take-suggestion"):
        assert client.post(f"/stock/{far.id}/{action}", data={f"{action}-quantity": "1"}).status_code == 404
    assert client.post("/stock/add", data={"region_id": far.region_id, "part_number": far.part.number}
                       ).status_code == 422
    assert _on_hand(far) == 3


def test_levels_and_the_suggestion_are_for_managers(client, login_as, bearing):
    login_as("rep")
    body = client.get(f"/stock/{bearing.id}").get_data(as_text=True)
    assert "policy-form" not in body and "Make the suggested" not in body
    assert client.post(f"/stock/{bearing.id}/policy", data={"policy-minimum": "1", "policy-lead_days": "5"}
                       ).status_code == 403
    assert client.post(f"/stock/{bearing.id}/take-suggestion").status_code == 403
    client.post("/logout")
    login_as("manager")
    response = client.post(f"/stock/{bearing.id}/policy", data={"policy-minimum": "1", "policy-maximum": "",
                                                                "policy-lead_days": "146"})
    assert response.status_code == 303
    db.session.refresh(bearing)
    assert (bearing.minimum, bearing.maximum, bearing.lead_days, bearing.min_source) == (1, None, 146, MinSource.MANUAL)
    body = client.get(f"/stock/{bearing.id}").get_data(as_text=True)
    # 20 × 0.5 × 146 / 365 = 4, + 1
    assert "Make the suggested 5 the minimum" in body
    response = client.htmx("post", f"/stock/{bearing.id}/take-suggestion", target="stock-item")
    assert response.status_code == 200 and "The minimum is now the suggested 5." in response.get_data(as_text=True)
    db.session.refresh(bearing)
    assert (bearing.minimum, bearing.min_source) == (5, MinSource.SUGGESTED)


# ---- to reorder


@pytest.fixture
def shortages(bearing, make_part, stock):
    stock(make_part("P-300", name="皮带"), on_hand=5, minimum=1)        # fine
    stock(make_part("=HYPERLINK(1)", name="-密封圈", models=["HX-800"]), minimum=2)  # below, no machines
    return bearing


def test_reorder_page_lists_the_shortages_with_the_machines(client, login_as, shortages):
    login_as("rep")
    response = client.get("/stock/reorder")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert "P-100" in body and "P-300" not in body and "=HYPERLINK(1)" in body
    assert "GX-500</strong> × 20" in body and "温州华信眼镜有限公司" in body
    assert "Printed on" in body and "data-print" in body and "/stock/reorder.xlsx" in body
    assert "¥900.00" in body  # 6 to order (up to the maximum 8) × ¥150
    fragment = client.htmx("get", "/stock/reorder", target="reorder")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_reorder_exports_are_formula_safe(client, login_as, shortages):
    login_as("rep")
    response = client.get("/stock/reorder.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["Part number", "Part name", "On hand", "Minimum", "Order up to", "To order"]
    assert rows[1][:2] == ["'=HYPERLINK(1)", "'-密封圈"]
    assert rows[2][:6] == ["P-100", "主轴轴承", "2", "3", "8", "6"] and rows[2][7] == "900.00"
    assert "GX-500 ×20" in rows[2][8] and "温州华信眼镜有限公司" in rows[2][9]
    response = client.get("/stock/reorder.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[1][0] == "'=HYPERLINK(1)" and cells[2][0] == "P-100" and cells[2][5] == 6
    assert not any(str(v).startswith("=") for row in cells for v in row if v is not None)


def test_reorder_empty(client, login_as, make_region):
    make_region()
    login_as("rep")
    assert "Every part is at or above its minimum." in client.get("/stock/reorder").get_data(as_text=True)


def test_issuing_the_last_parts_puts_it_on_the_reorder_list(client, login_as, make_part, stock):
    row = stock(make_part("P-500"), on_hand=3, minimum=2, maximum=6)
    login_as("rep")
    assert "P-500" not in client.get("/stock/reorder").get_data(as_text=True)
    client.post(f"/stock/{row.id}/issue", data={"issue-quantity": "2"})
    assert "P-500" in client.get("/stock/reorder").get_data(as_text=True)


# ---- queries do not grow with the rows


def _many_parts(region_id, model, n: int, start: int) -> None:
    from decimal import Decimal

    from app.equipment.models import SparePart
    parts = [SparePart(number=f"Q-{start + i:05d}", name="零件", failure_rate=Decimal("0.1"), models=[model])
             for i in range(n)]
    db.session.add_all(parts)
    db.session.flush()
    db.session.add_all(PartStock(region_id=region_id, part_id=p.id, minimum=5, maximum=9) for p in parts)
    db.session.add_all(StockMove(region_id=region_id, part_id=p.id, kind=MoveKind.RECEIVE, quantity=2) for p in parts)
    db.session.commit()


def test_stock_pages_queries_do_not_grow_with_parts(client, login_as, bearing, make_model, make_company, make_machine,
                                                    make_key_account, queries):
    login_as("manager")
    model = make_model("GX-500")
    _many_parts(bearing.region_id, model, 10, 0)

    def count(url):
        client.get(url)
        with queries() as q:
            assert client.get(url).status_code == 200
        return len(q)
    urls = ["/stock/", "/stock/?below=1&q=Q", "/stock/reorder", "/stock/reorder.csv",
            f"/stock/{bearing.id}", "/parts/", f"/parts/{bearing.part_id}"]
    small = [count(url) for url in urls]
    _many_parts(bearing.region_id, model, 290, 10)
    for tier in "ABC":
        make_machine(make_key_account(tier=tier), model)
    for _ in range(30):
        services.receive_part(bearing.region_id, bearing.part_id, 1)
    db.session.commit()
    assert [count(url) for url in urls] == small
