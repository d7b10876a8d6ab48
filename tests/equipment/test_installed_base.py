"""The installed base: a company's machines on its page (add, edit, remove), the region list with its
search and filters, access by region and role, and queries that do not grow with the machines."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.audit import AuditEntry
from app.equipment.models import InstalledEquipment
from app.extensions import db
from tests.conftest import assert_whole_page


def _machines(company=None) -> list[InstalledEquipment]:
    db.session.expire_all()
    stmt = select(InstalledEquipment).order_by(InstalledEquipment.id)
    if company is not None:
        stmt = stmt.where(InstalledEquipment.company_id == company.id)
    return list(db.session.scalars(stmt))


def _audit() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def plant(make_company, make_model):
    make_model("GX-500")
    make_model("HX-800")
    return make_company("温州华信眼镜有限公司")


# ---- the company page


def test_company_page_lists_the_machines_with_their_warranty(client, login_as, plant, make_machine, clock):
    clock.set(datetime(2026, 6, 1, 4, tzinfo=UTC))
    make_machine(plant, "GX-500", serial="SN-OLD", site="一车间", warranty_until=date(2026, 5, 1))
    make_machine(plant, "HX-800", serial="SN-SOON", warranty_until=date(2026, 7, 15))
    make_machine(plant, "GX-500", serial="SN-NEW", warranty_until=date(2027, 7, 15))
    login_as("rep")
    body = client.get(f"/companies/{plant.id}").get_data(as_text=True)
    card = body[body.index('id="company-equipment"'):]
    assert "SN-OLD" in card and "一车间" in card and "HX-800" in card
    assert "Warranty ended" in card and "Warranty ends soon" in card and "In warranty" in card
    assert f'hx-get="/equipment/company/{plant.id}/new"' in card and "/edit" in card  # removal: the machine's page
    # The form to add one is folded under its button, fetched when opened (not built for every view).
    assert 'name="serial"' not in card
    folded = client.htmx("get", f"/equipment/company/{plant.id}/new", target="machine-form").get_data(as_text=True)
    assert folded.lstrip().startswith('<form id="machine-form"') and 'name="serial"' in folded
    assert f'hx-post="/equipment/company/{plant.id}/new" hx-target="#company-equipment"' in folded


def test_expert_reads_the_machines_without_buttons(client, login_as, plant, make_machine):
    machine = make_machine(plant, serial="SN-1")
    login_as("expert")
    body = client.get(f"/companies/{plant.id}").get_data(as_text=True)
    card = body[body.index('id="company-equipment"'):]
    assert "SN-1" in card
    assert f"/equipment/company/{plant.id}/new" not in card and "/delete" not in card and "/edit" not in card
    assert client.get(f"/equipment/company/{plant.id}/new").status_code == 403
    assert client.post(f"/equipment/company/{plant.id}/new", data={"model_id": machine.model_id,
                                                                   "serial": "SN-2"}).status_code == 403
    assert client.get(f"/equipment/{machine.id}/edit").status_code == 403
    assert client.post(f"/equipment/{machine.id}/delete").status_code == 403
    assert len(_machines()) == 1


def test_the_card_as_a_page_and_as_a_fragment(client, login_as, plant, make_machine):
    make_machine(plant, serial="SN-1")
    login_as("rep")
    page = client.get(f"/equipment/company/{plant.id}")
    assert_whole_page(page)
    fragment = client.htmx("get", f"/equipment/company/{plant.id}", target="company-equipment")
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "SN-1" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_company_with_many_machines_lists_the_first_with_a_link_to_all(client, login_as, plant, make_machine,
                                                                          queries):
    """The card lists the first 25 machines by site and serial and counts them all, with a link to the
    company's machines in the installed base; page and fragment alike, in the same number of queries."""
    from app.equipment.panels import CARD_MACHINES
    for i in range(3):
        make_machine(plant, serial=f"SN-{i:03d}", site="一车间")
    login_as("rep")
    client.get(f"/companies/{plant.id}")
    with queries() as few:
        body = client.get(f"/companies/{plant.id}").get_data(as_text=True)
    card = body[body.index('id="company-equipment"'):]
    assert '<span class="count">3</span>' in card and "All 3 machines" not in card
    for i in range(3, CARD_MACHINES + 2):
        make_machine(plant, serial=f"SN-{i:03d}", site="一车间")
    client.get(f"/companies/{plant.id}")
    with queries() as many:
        body = client.get(f"/companies/{plant.id}").get_data(as_text=True)
    assert len(few) == len(many)
    card = body[body.index('id="company-equipment"'):body.index("</article>", body.index('id="company-equipment"'))]
    shown = f"SN-{CARD_MACHINES - 1:03d}"
    assert f'<span class="count">{CARD_MACHINES + 2}</span>' in card and shown in card and f"SN-{CARD_MACHINES:03d}" not in card
    assert f'href="/equipment/?company={plant.id}">All {CARD_MACHINES + 2} machines</a>' in card
    fragment = client.htmx("get", f"/equipment/company/{plant.id}", target="company-equipment").get_data(as_text=True)
    assert "<html" not in fragment and shown in fragment and f"All {CARD_MACHINES + 2} machines" in fragment
    listing = client.get(f"/equipment/?company={plant.id}")
    assert listing.status_code == 200 and "SN-000" in listing.get_data(as_text=True)


def test_add_a_machine_with_htmx(client, login_as, plant, make_model):
    login_as("rep")
    model = make_model("GX-500")
    response = client.htmx("post", f"/equipment/company/{plant.id}/new", target="company-equipment", data={
        "model_id": model.id, "serial": " SN-2026-001 ", "site": "二车间", "installed_on": "2026-03-01",
        "warranty_until": "2028-02-28"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "SN-2026-001" in body
    assert response.headers["HX-Trigger"] == "equipmentChanged"
    (machine,) = _machines(plant)
    assert (machine.serial, machine.site, machine.region_id, machine.model_id) == (
        "SN-2026-001", "二车间", plant.region_id, model.id)
    assert (machine.installed_on, machine.warranty_until) == (date(2026, 3, 1), date(2028, 2, 28))


def test_add_a_machine_without_javascript(client, login_as, plant, make_model):
    login_as("manager")
    response = client.post(f"/equipment/company/{plant.id}/new",
                           data={"model_id": make_model("HX-800").id, "serial": "SN-9"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{plant.id}#company-equipment")
    assert [m.serial for m in _machines(plant)] == ["SN-9"]
    assert_whole_page(client.get(f"/equipment/company/{plant.id}/new"))


@pytest.mark.parametrize("data, field, message", [
    ({"serial": ""}, "serial", "serial number."),
    ({"model_id": "987654"}, "model_id", "Choose one of the machine models."),
    ({"model_id": "NaN"}, "model_id", ""),
    ({"installed_on": "2026-05-01", "warranty_until": "2026-04-30"}, "warranty_until",
     "The warranty cannot end before the machine was installed."),
    ({"installed_on": "NaN"}, "installed_on", ""),
    ({"installed_on": "2099-01-01"}, "installed_on", "A machine cannot have been installed after today."),
    ({"installed_on": "1949-12-31"}, "installed_on", "Enter a day in 1950 or later."),
    ({"warranty_until": "0001-01-01"}, "warranty_until", "Enter a day in 1950 or later."),
    ({"warranty_until": "9999-12-31"}, "warranty_until", "Enter a day before 2100."),
    ({"serial": "sn-taken"}, "serial", "Serial number SN-TAKEN is already at 温州华信眼镜有限公司."),
    ({"serial": "x" * 81}, "serial", "Use at most 80 characters."),
])
def test_bad_machines_are_refused_at_the_field(client, login_as, plant, make_machine, make_model, data, field,
                                               message):
    make_machine(plant, "GX-500", serial="SN-TAKEN")
    login_as("rep")
    before = _audit()
    form = {"model_id": str(make_model("GX-500").id), "serial": "SN-NEW"} | data
    for response in (client.post(f"/equipment/company/{plant.id}/new", data=form),
                     client.htmx("post", f"/equipment/company/{plant.id}/new", target="company-equipment", data=form)):
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f'id="{field}-error"' in body and message in body
        assert 'class="form-error" role="alert"' in body  # said above the form too, as every form says it
    assert len(_machines()) == 1 and _audit() == before


def test_the_same_serial_may_run_in_another_region(client, login_as, plant, make_company, make_machine, make_model):
    make_machine(make_company(region="Wuxi"), serial="SN-1")
    login_as("rep")
    response = client.post(f"/equipment/company/{plant.id}/new",
                           data={"model_id": make_model().id, "serial": "SN-1"})
    assert response.status_code == 303 and len(_machines()) == 2


def test_edit_and_remove_a_machine(client, login_as, plant, make_machine, make_model):
    machine = make_machine(plant, "GX-500", serial="SN-1")
    make_machine(plant, serial="SN-2")
    login_as("rep")
    assert_whole_page(client.get(f"/equipment/{machine.id}/edit"))
    refused = client.post(f"/equipment/{machine.id}/edit", data={"model_id": machine.model_id, "serial": "sn-2"})
    assert refused.status_code == 422 and "SN-2 is already at" in refused.get_data(as_text=True)
    response = client.post(f"/equipment/{machine.id}/edit", data={
        "model_id": make_model("HX-800").id, "serial": "SN-1", "site": "三车间", "warranty_until": "2027-01-31"})
    assert response.status_code == 303
    machine = db.session.get(InstalledEquipment, machine.id)
    assert (machine.model.name, machine.site, machine.warranty_until) == ("HX-800", "三车间", date(2027, 1, 31))
    response = client.htmx("post", f"/equipment/{machine.id}/delete", target="company-equipment")
    assert response.status_code == 200 and "SN-1" not in response.get_data(as_text=True)
    assert [m.serial for m in _machines(plant)] == ["SN-2"]
    assert client.post(f"/equipment/{machine.id}/delete").status_code == 404


def test_another_regions_machines_are_404(client, login_as, make_company, make_machine, make_model):
    far = make_company(region="Wuxi")
    machine = make_machine(far, serial="SN-W")
    login_as("manager", "Wenzhou")
    assert client.get(f"/equipment/company/{far.id}").status_code == 404
    assert client.post(f"/equipment/company/{far.id}/new",
                       data={"model_id": make_model().id, "serial": "SN-X"}).status_code == 404
    assert client.get(f"/equipment/{machine.id}/edit").status_code == 404
    assert client.post(f"/equipment/{machine.id}/delete").status_code == 404
    assert client.htmx("get", f"/equipment/company/{far.id}", target="company-equipment").status_code == 404
    assert len(_machines()) == 1


def test_anonymous_is_sent_to_sign_in(client, plant, make_machine):
    machine = make_machine(plant)
    for url in ("/equipment/", f"/equipment/company/{plant.id}", f"/equipment/{machine.id}/edit"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.htmx("get", "/equipment/").status_code == 401
    assert client.post(f"/equipment/{machine.id}/delete").status_code == 302
    assert len(_machines()) == 1


# ---- the region list


@pytest.fixture
def installed(plant, make_company, make_key_account, make_machine, clock):
    clock.set(datetime(2026, 6, 1, 4, tzinfo=UTC))
    other = make_company("温州明光笔业有限公司")
    make_machine(plant, "GX-500", serial="SN-A1", site="一车间", warranty_until=date(2026, 7, 1))
    make_machine(plant, "HX-800", serial="SN-A2", warranty_until=date(2026, 1, 1))
    make_machine(other, "GX-500", serial="SN-B1", warranty_until=date(2028, 1, 1))
    make_machine(other, "HX-800", serial="SN-B2")
    make_machine(make_company("无锡远东电器有限公司", region="Wuxi"), "GX-500", serial="SN-W1")
    return plant, other


def _serials(body: str) -> list[str]:
    return [s for s in ("SN-A1", "SN-A2", "SN-B1", "SN-B2", "SN-W1") if s in body]


def test_region_list_shows_my_regions_machines(client, login_as, installed):
    login_as("rep")
    response = client.get("/equipment/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert _serials(body) == ["SN-A1", "SN-A2", "SN-B1", "SN-B2"]
    assert 'hx-get="/equipment/"' in body and "Import machines" in body


@pytest.mark.parametrize("query, serials", [
    ("q=A2", ["SN-A2"]),
    ("q=明光", ["SN-B1", "SN-B2"]),
    ("q=一车间", ["SN-A1"]),
    ("warranty=soon", ["SN-A1"]),
    ("warranty=expired", ["SN-A2"]),
    ("warranty=none", ["SN-B2"]),
    ("warranty=junk", ["SN-A1", "SN-A2", "SN-B1", "SN-B2"]),
])
def test_region_list_search_and_filters(client, login_as, installed, query, serials):
    login_as("rep")
    response = client.htmx("get", f"/equipment/?{query}", target="results")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert _serials(body) == serials


def test_region_list_by_model_and_by_company(client, login_as, installed, make_model):
    plant, _other = installed
    login_as("rep")
    model = make_model("HX-800")
    assert _serials(client.get(f"/equipment/?model={model.id}").get_data(as_text=True)) == ["SN-A2", "SN-B2"]
    body = client.get(f"/equipment/?company={plant.id}").get_data(as_text=True)
    assert _serials(body) == ["SN-A1", "SN-A2"] and "Machines of 温州华信眼镜有限公司" in body


def test_region_list_region_filter(client, login_as, installed, make_region):
    user = login_as("manager")
    from app.auth.models import user_regions
    wuxi = make_region("Wuxi")
    db.session.execute(user_regions.insert().values(user_id=user.id, region_id=wuxi.id))
    db.session.commit()
    assert _serials(client.get("/equipment/").get_data(as_text=True)) == ["SN-A1", "SN-A2", "SN-B1", "SN-B2", "SN-W1"]
    assert _serials(client.get(f"/equipment/?region={wuxi.id}").get_data(as_text=True)) == ["SN-W1"]


def test_region_list_of_another_region_is_404(client, login_as, installed, make_region):
    login_as("rep")
    assert client.get(f"/equipment/?region={make_region('Wuxi').id}").status_code == 404


def test_expert_sees_the_list_without_write_buttons(client, login_as, installed):
    login_as("expert")
    body = client.get("/equipment/").get_data(as_text=True)
    assert _serials(body) == ["SN-A1", "SN-A2", "SN-B1", "SN-B2"]
    assert "Import machines" not in body and "/edit" not in body
    assert client.get("/equipment/import").status_code == 403


def _many_machines(company, model, n: int, start: int = 0) -> None:
    db.session.add_all(InstalledEquipment(company=company, region_id=company.region_id, model=model,
                                          serial=f"SN-{start + i:05d}", warranty_until=date(2027, 1, 1))
                       for i in range(n))
    db.session.commit()


def test_list_queries_do_not_grow_with_machines(client, login_as, plant, make_company, make_model, queries):
    login_as("rep")
    model = make_model("GX-500")
    _many_machines(plant, model, 10)

    def count(url):
        client.get(url)
        with queries() as q:
            assert client.get(url).status_code == 200
        return len(q)
    urls = ["/equipment/", "/equipment/?q=SN&warranty=soon", f"/equipment/?model={model.id}&page=2",
            f"/companies/{plant.id}", f"/equipment/company/{plant.id}"]
    small = [count(url) for url in urls]
    for i in range(1, 30):
        _many_machines(make_company(), model, 10, start=i * 10)
    _many_machines(plant, model, 30, start=5000)
    assert [count(url) for url in urls] == small
