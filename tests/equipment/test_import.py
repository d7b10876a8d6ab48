"""The installed-base import: upload, column mapping, dry run (nothing written), all-or-nothing commit,
undo; rows naming an unknown company or model, a taken or repeated serial, or a bad date are rejected."""
import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.equipment.importer import parse_date
from app.equipment.models import EquipmentImport, InstalledEquipment
from app.extensions import db
from app.imports.models import BatchStatus
from tests.conftest import assert_whole_page

HEADER = ["客户名称", "设备型号", "出厂编号", "安装地点", "安装日期", "保修到期"]
ROWS = [
    ["温州华信眼镜有限公司", "GX-500", "SN-001", "一车间", "2025-03-01", "2027-02-28"],       # good
    ["华信眼镜（温州）有限公司", "gx 500", "SN-002", "二车间", "2025/4/1", "2027年3月31日"],   # good: name and model variants
    ["温州明光笔业有限公司", "HX-800", "SN-003", "", "", ""],                              # good, no dates
    ["温州不存在有限公司", "GX-500", "SN-004", "", "", ""],                                # unknown company
    ["温州明光笔业有限公司", "ZX-9", "SN-005", "", "", ""],                                # unknown model
    ["温州明光笔业有限公司", "GX-500", "sn-taken", "", "", ""],                            # serial already in Grove
    ["温州明光笔业有限公司", "GX-500", "SN-001", "", "", ""],                              # repeats row 2 (in the file)
    ["温州明光笔业有限公司", "GX-500", "SN-008", "", "2025-02-30", ""],                    # bad date
    ["温州明光笔业有限公司", "GX-500", "SN-009", "", "2025-05-01", "2024-05-01"],          # warranty before install
    ["温州明光笔业有限公司", "GX-500", "", "", "", ""],                                    # no serial
    ["=HYPERLINK(\"x\")", "GX-500", "SN-011", "", "", ""],                                # a formula
]


def _csv(rows=ROWS, header=HEADER, encoding="gb18030", title=True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow(["温州大区设备台账（2026 年 5 月）"])
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _machines() -> list[InstalledEquipment]:
    db.session.expire_all()
    return list(db.session.scalars(select(InstalledEquipment).order_by(InstalledEquipment.serial)))


@pytest.fixture
def base(make_company, make_model, make_machine):
    make_model("GX-500")
    make_model("HX-800")
    make_company("温州华信眼镜有限公司")
    other = make_company("温州明光笔业有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    make_machine(other, "GX-500", serial="SN-TAKEN")
    return other


def _upload(client, data: bytes, name="设备台账.csv", **form):
    return client.post("/equipment/import", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def _batch() -> EquipmentImport:
    db.session.expire_all()
    return db.session.scalars(select(EquipmentImport).order_by(EquipmentImport.id.desc())).first()


def test_parse_date():
    assert parse_date("2025-03-01") == date(2025, 3, 1)
    assert parse_date("2025/4/1") == date(2025, 4, 1)
    assert parse_date("2025.4.1") == date(2025, 4, 1)
    assert parse_date("2027年3月31日") == date(2027, 3, 31)
    assert parse_date("20250301") == date(2025, 3, 1)
    assert parse_date("45717") == date(2025, 3, 1)           # an Excel day number
    assert parse_date("2025-03-01 00:00:00") == date(2025, 3, 1)
    for junk in ("2025-02-30", "NaN", "next year", "", "1", "99999999"):
        assert parse_date(junk) is None


def test_upload_dry_run_commit_and_undo(client, login_as, base):
    login_as("rep")
    assert_whole_page(client.get("/equipment/import"))
    response = _upload(client, _csv())
    batch = _batch()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/equipment/imports/{batch.id}")
    assert batch.encoding == "gb18030" and batch.row_count == len(ROWS)
    assert batch.mapping["columns"] == {"0": "company", "1": "model", "2": "serial", "3": "site",
                                        "4": "installed_on", "5": "warranty_until"}
    preview = client.get(f"/equipment/imports/{batch.id}")
    assert_whole_page(preview)
    assert "温州华信眼镜有限公司" in preview.get_data(as_text=True)

    form = {"mapping": "1", **{f"col-{i}": v for i, v in batch.mapping["columns"].items()}}
    dry = client.htmx("post", f"/equipment/imports/{batch.id}/dry-run", target="report", data=form)
    body = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "<html" not in body
    assert [m.serial for m in _machines()] == ["SN-TAKEN"]  # a dry run writes nothing
    for reason in ("No company named “温州不存在有限公司” in this region.",
                   "Unknown machine model “ZX-9”: add it to the machine models first.",
                   "Serial number sn-taken is already in Grove (温州明光笔业有限公司).",
                   "Serial number SN-001 repeats row 3.",
                   "Installed on is not a date: 2025-02-30",
                   "The warranty cannot end before the machine was installed.",
                   "No serial number.", "holds a formula"):
        assert reason in body, reason
    assert "Import 3 machines" in body

    response = client.post(f"/equipment/imports/{batch.id}/commit")
    assert response.status_code == 303
    machines = {m.serial: m for m in _machines()}
    assert sorted(machines) == ["SN-001", "SN-002", "SN-003", "SN-TAKEN"]
    first, second = machines["SN-001"], machines["SN-002"]
    assert (first.company.name, first.model.name, first.site, first.installed_on, first.warranty_until) == (
        "温州华信眼镜有限公司", "GX-500", "一车间", date(2025, 3, 1), date(2027, 2, 28))
    assert (second.company_id, second.model_id, second.warranty_until) == (
        first.company_id, first.model_id, date(2027, 3, 31))
    batch = _batch()
    assert (batch.status, batch.created_count, batch.rejected_count) == (BatchStatus.COMMITTED, 3, 8)
    assert first.import_id == batch.id and machines["SN-TAKEN"].import_id is None
    done = client.get(f"/equipment/imports/{batch.id}")
    assert_whole_page(done)
    assert "Undo this import" in done.get_data(as_text=True)
    # A second commit does nothing.
    client.post(f"/equipment/imports/{batch.id}/commit")
    assert len(_machines()) == 4

    response = client.htmx("post", f"/equipment/imports/{batch.id}/undo", target="batch-summary")
    assert response.status_code == 204 and "HX-Location" in response.headers
    assert [m.serial for m in _machines()] == ["SN-TAKEN"]
    assert _batch().status is BatchStatus.UNDONE


def test_undo_is_refused_once_a_machine_was_changed(client, login_as, base, make_model):
    login_as("rep")
    _upload(client, _csv(ROWS[:2]))
    batch = _batch()
    client.post(f"/equipment/imports/{batch.id}/commit")
    machine = next(m for m in _machines() if m.serial == "SN-001")
    assert client.post(f"/equipment/{machine.id}/edit", data={
        "model_id": make_model("HX-800").id, "serial": "SN-001"}).status_code == 303
    response = client.post(f"/equipment/imports/{batch.id}/undo")
    assert response.status_code == 409 and "SN-001" in response.get_data(as_text=True)
    assert len(_machines()) == 3 and _batch().status is BatchStatus.COMMITTED


def test_an_xlsx_with_date_cells(client, login_as, base):
    login_as("rep")
    book = Workbook()
    sheet = book.active
    sheet.append(["Customer", "Model", "Serial number", "Site", "Installation date", "Warranty until"])
    sheet.append(["温州华信眼镜有限公司", "HX-800", "X-1", "Plant 2", datetime(2024, 6, 30), datetime(2026, 6, 29)])
    out = io.BytesIO()
    book.save(out)
    assert _upload(client, out.getvalue(), name="machines.xlsx").status_code == 303
    batch = _batch()
    assert set(batch.mapping["columns"].values()) == {"company", "model", "serial", "site", "installed_on",
                                                      "warranty_until"}
    assert client.post(f"/equipment/imports/{batch.id}/commit").status_code == 303
    (machine,) = [m for m in _machines() if m.serial == "X-1"]
    assert (machine.installed_on, machine.warranty_until, machine.site) == (date(2024, 6, 30), date(2026, 6, 29),
                                                                           "Plant 2")


def test_a_mapping_without_the_needed_columns(client, login_as, base):
    login_as("rep")
    _upload(client, _csv(ROWS[:1], header=["A", "B", "C", "D", "E", "F"], title=False))
    batch = _batch()
    response = client.post(f"/equipment/imports/{batch.id}/dry-run", data={"mapping": "1", "col-0": "company"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose the columns that hold: Machine model、Serial number." in body
    response = client.post(f"/equipment/imports/{batch.id}/dry-run", data={
        "mapping": "1", "col-0": "company", "col-1": "model", "col-2": "serial", "col-3": "serial"})
    assert response.status_code == 422 and "Each Grove field can take one column only." in response.get_data(as_text=True)
    response = client.post(f"/equipment/imports/{batch.id}/commit")
    assert response.status_code == 422 and len(_machines()) == 1
    response = client.post(f"/equipment/imports/{batch.id}/dry-run", data={
        "mapping": "1", "col-0": "company", "col-1": "model", "col-2": "serial"})
    assert response.status_code == 200 and "Import 1 machine<" in response.get_data(as_text=True)


@pytest.mark.parametrize("name, data, message", [
    ("x.csv", b"", "The file is empty."),
    ("x.xls", b"\xd0\xcf\x11\xe0", "Save the workbook as .xlsx"),
    ("x.xlsx", b"not a zip", "This file is not an Excel workbook"),
    ("x.csv", "客户名称,设备型号,出厂编号\n".encode(), "The file has a header but no machine rows."),
])
def test_bad_files_are_refused_at_the_field(client, login_as, base, name, data, message):
    login_as("rep")
    response = _upload(client, data, name=name)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="file-error"' in body and message in body
    assert db.session.scalar(select(func.count()).select_from(EquipmentImport)) == 0


def test_upload_into_another_region_is_refused(client, login_as, base, make_region):
    login_as("rep")
    response = _upload(client, _csv(), region_id=str(make_region("Wuxi").id))
    assert response.status_code == 422 and "Choose one of your regions." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EquipmentImport)) == 0


def test_companies_of_another_region_are_unknown(client, login_as, base):
    login_as("rep")
    _upload(client, _csv([["无锡远东电器有限公司", "GX-500", "SN-W", "", "", ""]]))
    batch = _batch()
    body = client.post(f"/equipment/imports/{batch.id}/dry-run").get_data(as_text=True)
    assert "No company named “无锡远东电器有限公司” in this region." in body


def test_a_machine_installed_after_today_in_the_region_or_before_1950_or_with_a_warranty_to_9999_is_refused(client, login_as, base, clock):
    # 31 December 2026, 17:00 UTC is already 1 January 2027 in Wenzhou: that day is "today" there.
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    login_as("rep")
    _upload(client, _csv([["温州华信眼镜有限公司", "GX-500", "SN-A", "", "2027-01-01", ""],
                          ["温州华信眼镜有限公司", "GX-500", "SN-B", "", "2027-01-02", ""],
                          ["温州华信眼镜有限公司", "GX-500", "SN-C", "", "2099-01-01", ""],
                          ["温州华信眼镜有限公司", "GX-500", "SN-D", "", "1949-12-31", ""],
                          ["温州华信眼镜有限公司", "GX-500", "SN-E", "", "", "9999-12-31"]]))
    batch = _batch()
    body = client.post(f"/equipment/imports/{batch.id}/dry-run").get_data(as_text=True)
    assert body.count("A machine cannot have been installed after today.") == 2
    assert body.count("Enter a day in 1950 or later.") == 1
    assert body.count("Enter a day before 2100.") == 1
    assert "Import 1 machine" in body
    client.post(f"/equipment/imports/{batch.id}/commit")
    assert [m.serial for m in _machines()] == ["SN-A", "SN-TAKEN"]


def test_report_csv_is_formula_safe(client, login_as, base):
    login_as("rep")
    _upload(client, _csv())
    batch = _batch()
    response = client.get(f"/equipment/imports/{batch.id}/report.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Row", "Result", "Reason", "Company"]
    assert rows[1][:2] == ["3", "New machine"] and rows[4][1] == "Rejected"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_experts_and_other_regions(client, login_as, base, make_user):
    login_as("rep")
    _upload(client, _csv())
    batch = _batch()
    client.post("/logout")
    login_as("expert")
    assert client.get("/equipment/import").status_code == 403
    assert client.get(f"/equipment/imports/{batch.id}").status_code == 200
    assert client.post(f"/equipment/imports/{batch.id}/commit").status_code == 403
    client.post("/logout")
    login_as("manager", "Wuxi")
    for method, url in (("get", ""), ("post", "/dry-run"), ("post", "/commit"), ("post", "/undo"),
                        ("get", "/report.csv")):
        assert client.open(f"/equipment/imports/{batch.id}{url}", method=method.upper()).status_code == 404
    assert len(_machines()) == 1


def test_the_stored_file_is_gone(client, login_as, base):
    login_as("rep")
    _upload(client, _csv())
    batch = _batch()
    from app.imports.services import discard_upload
    discard_upload(batch)
    db.session.commit()
    response = client.get(f"/equipment/imports/{batch.id}")
    assert response.status_code == 422 and "no longer on the server" in response.get_data(as_text=True)
    assert client.post(f"/equipment/imports/{batch.id}/commit").status_code == 422


def test_the_steps_follow_the_import_as_the_directorys_do(client, login_as, base):
    login_as("rep")
    _upload(client, _csv())
    batch = _batch()
    page = client.get(f"/equipment/imports/{batch.id}").get_data(as_text=True)
    assert '<li aria-current="step">2 Check the columns</li>' in page
    fragment = client.htmx("post", f"/equipment/imports/{batch.id}/dry-run", target="report").get_data(as_text=True)
    steps = fragment[:fragment.index('<section id="report"')]
    assert "<html" not in fragment and 'id="import-steps"' in steps and 'hx-swap-oob="true"' in steps
    assert '<li aria-current="step">3 Dry run</li>' in steps
    page = client.post(f"/equipment/imports/{batch.id}/dry-run").get_data(as_text=True)
    assert page.count('id="import-steps"') == 1 and '<li aria-current="step">3 Dry run</li>' in page
    # A mapping without the serial stays on step 2, on the page and in the fragment alike.
    wrong = {"mapping": "1", "col-0": "company", "col-1": "model"}
    fragment = client.htmx("post", f"/equipment/imports/{batch.id}/dry-run", target="report", data=wrong)
    assert fragment.status_code == 422
    assert '<li aria-current="step">2 Check the columns</li>' in fragment.get_data(as_text=True)
    client.post(f"/equipment/imports/{batch.id}/dry-run", data={"mapping": "1", "col-0": "company", "col-1": "model",
                                                               "col-2": "serial"})
    response = client.htmx("post", f"/equipment/imports/{batch.id}/commit")
    assert response.status_code == 204 and response.headers["HX-Location"].endswith(f"/equipment/imports/{batch.id}")
    page = client.get(f"/equipment/imports/{batch.id}").get_data(as_text=True)
    assert page.count('aria-current="step"') == 1 and '<li aria-current="step">4 Imported</li>' in page
