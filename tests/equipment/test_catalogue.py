"""Machine models and the parts catalogue: one for every region, kept by managers."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.equipment.models import MachineModel, SparePart
from app.extensions import db
from tests.conftest import assert_whole_page


def _parts() -> list[SparePart]:
    db.session.expire_all()
    return list(db.session.scalars(select(SparePart).order_by(SparePart.number)))


def test_catalogue_pages(client, login_as, make_part, make_company, make_machine, stock):
    part = make_part("P-100", name="主轴轴承", models=["GX-500", "HX-800"], rate="0.15", cost=12_345)
    make_part("P-200", name="皮带", models=["HX-800"])
    make_machine(make_company())
    stock(part, on_hand=4, minimum=2)
    login_as("rep")
    response = client.get("/parts/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert "P-100" in body and "GX-500、HX-800" in body and "0.15" in body and "¥123.45" in body
    assert "New part" not in body  # managers keep the catalogue
    fragment = client.htmx("get", "/parts/?q=皮带", target="results").get_data(as_text=True)
    assert "<html" not in fragment and "P-200" in fragment and "P-100" not in fragment
    gx = db.session.scalar(select(MachineModel).where(MachineModel.name == "GX-500"))
    assert "P-200" not in client.get(f"/parts/?model={gx.id}").get_data(as_text=True)
    page = client.get(f"/parts/{part.id}").get_data(as_text=True)
    assert "Stock in my regions" in page
    assert "Wenzhou" in page and "0.15 a year per machine" in page
    models = client.get("/parts/models").get_data(as_text=True)
    assert "GX-500" in models and "Add a machine model" not in models


def test_manager_adds_and_edits_a_part(client, login_as, make_model):
    gx, hx = make_model("GX-500"), make_model("HX-800")
    login_as("manager")
    assert_whole_page(client.get("/parts/new"))
    response = client.post("/parts/new", data={"number": "P-100", "name": "主轴轴承", "model_ids": [gx.id, hx.id],
                                               "failure_rate": "15%", "unit_cost": "1,234.50"})
    assert response.status_code == 303
    (part,) = _parts()
    assert (part.number, part.failure_rate, part.unit_cost_cents, [m.name for m in part.models]) == (
        "P-100", Decimal("0.15"), 123_450, ["GX-500", "HX-800"])
    response = client.post(f"/parts/{part.id}/edit", data={"number": "P-100", "name": "主轴轴承（加强）",
                                                           "model_ids": [hx.id], "failure_rate": "0.2"})
    assert response.status_code == 303
    (part,) = _parts()
    assert (part.name, part.failure_rate, part.unit_cost_cents, [m.name for m in part.models]) == (
        "主轴轴承（加强）", Decimal("0.2"), 0, ["HX-800"])


@pytest.mark.parametrize("data, field, message", [
    ({"number": ""}, "number", "Enter the part number."),
    ({"number": "P-1"}, "number", "Part P-1 is already in the catalogue."),
    ({"failure_rate": "NaN"}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"failure_rate": "11"}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"failure_rate": "-0.1"}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"failure_rate": "1e2"}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"failure_rate": "0.123456"}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"failure_rate": ""}, "failure_rate", "Enter failures a year per machine from 0 to 10"),
    ({"unit_cost": "Infinity"}, "unit_cost", "Enter an amount like 1,500.00."),
    ({"unit_cost": "-5"}, "unit_cost", "Enter an amount of 0 or more."),
    ({"model_ids": "987654"}, "model_ids", "Choose machine models of the catalogue."),
])
def test_bad_parts_are_refused_at_the_field(client, login_as, make_part, data, field, message):
    make_part("P-1")
    login_as("manager")
    response = client.post("/parts/new", data={"number": "P-2", "name": "皮带", "failure_rate": "0.1"} | data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in body and message in body
    assert [p.number for p in _parts()] == ["P-1"]


def test_reps_and_experts_do_not_keep_the_catalogue(client, login_as, make_part):
    part = make_part("P-1")
    for role in ("rep", "expert"):
        login_as(role)
        assert client.get("/parts/new").status_code == 403
        assert client.post("/parts/new", data={"number": "P-2", "name": "x", "failure_rate": "0"}).status_code == 403
        assert client.post(f"/parts/{part.id}/edit", data={"number": "P-9", "name": "x",
                                                           "failure_rate": "0"}).status_code == 403
        assert client.post(f"/parts/{part.id}/delete").status_code == 403
        assert client.post("/parts/models", data={"name": "ZX-1"}).status_code == 403
        client.post("/logout")
    assert [p.number for p in _parts()] == ["P-1"]


def test_a_part_with_moves_stays(client, login_as, make_part, stock):
    moved, unused = make_part("P-1"), make_part("P-2")
    stock(moved, on_hand=1)
    login_as("manager")
    response = client.post(f"/parts/{moved.id}/delete")
    assert response.status_code == 409 and "P-1 has stock moves" in response.get_data(as_text=True)
    assert client.post(f"/parts/{unused.id}/delete").status_code == 303
    assert [p.number for p in _parts()] == ["P-1"]
    assert client.get(f"/parts/{unused.id}").status_code == 404


def test_machine_models(client, login_as, make_model, make_company, make_machine):
    used = make_model("GX-500")
    make_machine(make_company(), used)
    login_as("manager")
    response = client.post("/parts/models", data={"name": "HX-800", "description": "高速机"})
    assert response.status_code == 303
    refused = client.post("/parts/models", data={"name": "hx 800"})
    assert refused.status_code == 422 and "HX-800 is already a machine model." in refused.get_data(as_text=True)
    refused = client.post("/parts/models", data={"name": "--"})
    assert refused.status_code == 422 and "A model name needs letters or digits." in refused.get_data(as_text=True)
    hx = db.session.scalar(select(MachineModel).where(MachineModel.name == "HX-800"))
    assert_whole_page(client.get(f"/parts/models/{hx.id}/edit"))
    assert client.post(f"/parts/models/{hx.id}/edit", data={"name": "HX-800S"}).status_code == 303
    db.session.refresh(hx)
    assert (hx.name, hx.key) == ("HX-800S", "HX800S")
    refused = client.post(f"/parts/models/{used.id}/delete")
    assert refused.status_code == 409 and "GX-500 runs at customers" in refused.get_data(as_text=True)
    assert client.post(f"/parts/models/{hx.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MachineModel)) == 1
    assert client.get("/parts/models/987654/edit").status_code == 404
