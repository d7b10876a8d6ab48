"""Member-directory import through HTTP: upload, preview, mapping, dry run, commit, undo."""
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from app.accounts.models import Company, Contact, Stage, association_members
from app.extensions import db
from app.imports.models import BatchStatus, ImportBatch, ImportUpload
from app.imports.reader import guess_field, guess_mapping
from tests.imports.conftest import HEADER, ROWS, csv_bytes, xlsx_bytes


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _members(association):
    return set(db.session.scalars(select(association_members.c.company_id)
                                  .where(association_members.c.association_id == association.id)))


def _batch_id(response) -> int:
    return int(re.search(r"/imports/(\d+)", response.headers.get("Location") or response.headers["HX-Location"]).group(1))


def _import(client, upload, association, filename, data, confirm=(), columns=None):
    response = upload(association, filename, data)
    assert response.status_code == 303, response.get_data(as_text=True)
    batch_id = _batch_id(response)
    form = {"mapping": "1", **(columns or {})} if columns else {}
    dry = client.post(f"/associations/imports/{batch_id}/dry-run", data=form)
    assert dry.status_code == 200, dry.get_data(as_text=True)
    done = client.post(f"/associations/imports/{batch_id}/commit", data={"confirm": [str(n) for n in confirm]})
    assert done.status_code == 303, done.get_data(as_text=True)
    return db.session.get(ImportBatch, batch_id), dry.get_data(as_text=True)


@pytest.mark.parametrize("header,field", [
    ("企业名称", "name"), ("公司名称", "name"), ("单位名称", "name"), ("会员单位名称", "name"), ("Company Name", "name"),
    ("联系人", "contact_name"), ("职务", "title"), ("手机", "phone"), ("联系电话", "phone"), ("电话", "phone"),
    ("Mobile", "phone"), ("地址", "address"), ("主营产品", "products"), ("员工人数", "employees"),
    ("E-mail", "email"), ("备注", "background"), ("序号", None), ("", None)])
def test_headers_are_guessed_in_chinese_and_english(header, field):
    assert guess_field(header) == field


def test_each_field_is_guessed_once():
    assert guess_mapping(["企业名称", "公司名称", "手机", "电话"]) == {"0": "name", "2": "phone"}


@pytest.mark.parametrize("filename,data", [
    ("utf8.csv", csv_bytes(encoding="utf-8")),
    ("bom.csv", csv_bytes(encoding="utf-8-sig")),
    ("gbk.csv", csv_bytes(encoding="gbk")),
    ("gb18030.csv", csv_bytes(encoding="gb18030")),
    ("directory.xlsx", xlsx_bytes()),
], ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "xlsx"])
def test_import_messy_directory(client, login_as, make_association, upload, filename, data):
    user = login_as("rep", "Wenzhou")
    association = make_association()
    batch, report = _import(client, upload, association, filename, data)

    names = set(db.session.scalars(select(Company.name)))
    assert names == {"温州华信眼镜有限公司", "瑞安明光笔业股份有限公司", "浙江宏达包装科技有限公司", "温州东方电器有限公司(温州)"}
    assert "No company name." in report  # the row with only a contact
    mingguang = db.session.scalar(select(Company).where(Company.name_key == "明光笔业"))
    assert mingguang.employees == 150 and mingguang.products == "圆珠笔、中性笔" and mingguang.district == "瑞安市"
    assert db.session.scalar(select(Company.employees).where(Company.name_key == "东方电器")) == 1200
    contact = db.session.scalar(select(Contact).where(Contact.name == "李志强"))
    assert contact.title == "设备主管" and contact.phone == "138 0000 1111"
    assert _count(Contact) == 4
    assert len(_members(association)) == 4
    assert batch.status is BatchStatus.COMMITTED and batch.user_id == user.id and batch.source_name == filename
    assert (batch.created_count, batch.matched_count, batch.rejected_count) == (4, 0, 1)
    assert all(c.stage is Stage.PROSPECT for c in db.session.scalars(select(Company)))


def test_reimport_of_the_same_file_creates_nothing(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    _import(client, upload, association, "gbk.csv", csv_bytes(encoding="gbk"))
    before = (_count(Company), _count(Contact), len(_members(association)))
    batch, _report = _import(client, upload, association, "gbk.csv", csv_bytes(encoding="gbk"))
    assert (_count(Company), _count(Contact), len(_members(association))) == before
    assert (batch.created_count, batch.matched_count) == (0, 4)


def test_matches_ignore_suffix_city_brackets_and_spacing(client, login_as, make_association, upload, make_company):
    login_as("rep", "Wenzhou")
    existing = make_company("华信眼镜（温州）股份有限公司", city="温州")
    association = make_association()
    rows = [["温州市 华信眼镜有限公司", "李志强", "", "", "", "", ""],
            ["浙江华信眼镜有限责任公司", "孙丽", "", "", "", "", ""]]
    batch, report = _import(client, upload, association, "dir.csv", csv_bytes(rows))
    assert _count(Company) == 1
    assert {c.name for c in db.session.get(Company, existing.id).contacts} == {"李志强", "孙丽"}
    assert _members(association) == {existing.id}
    assert "华信眼镜（温州）股份有限公司" in report
    assert db.session.get(Company, existing.id).name == "华信眼镜（温州）股份有限公司"  # matched, not rewritten


def test_doubtful_match_is_confirmed_by_the_user(client, login_as, make_association, upload, make_company):
    login_as("rep", "Wenzhou")
    existing = make_company("温州宏达包装有限公司")
    other = make_company("温州远大机械有限公司")
    association = make_association()
    rows = [["浙江宏达包装科技有限公司", "王海", "", "", "", "", ""],
            ["远大精工有限公司", "钱六", "", "", "", "", ""]]
    response = upload(association, "dir.csv", csv_bytes(rows, title=False))
    batch_id = _batch_id(response)
    report = client.post(f"/associations/imports/{batch_id}/dry-run").get_data(as_text=True)
    assert "Doubtful matches" in report and "温州宏达包装有限公司" in report
    client.post(f"/associations/imports/{batch_id}/commit", data={"confirm": ["2"]})
    assert _count(Company) == 3  # the confirmed row matched; 远大精工 is a new company
    assert {c.name for c in db.session.get(Company, existing.id).contacts} == {"王海"}
    assert db.session.get(Company, other.id).contacts == []


def test_repeated_company_in_the_file_is_one_company(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    rows = [["温州华信眼镜有限公司", "李志强", "", "", "", "", ""],
            ["华信眼镜股份有限公司", "孙丽", "", "", "", "", ""],
            ["温州华信眼镜有限公司", "李志强", "", "", "", "", ""]]
    _import(client, upload, association, "dir.csv", csv_bytes(rows))
    company = db.session.scalar(select(Company))
    assert _count(Company) == 1 and {c.name for c in company.contacts} == {"李志强", "孙丽"}


def test_mapping_can_be_corrected(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    header = ["序号", "会员", "负责人姓名", "产品"]
    rows = [["1", "温州华信眼镜有限公司", "李志强", "镜架"]]
    response = upload(association, "dir.csv", csv_bytes(rows, header=header, title=False))
    batch_id = _batch_id(response)
    page = client.get(f"/associations/imports/{batch_id}").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in page and "Check the columns" in page
    response = client.post(f"/associations/imports/{batch_id}/dry-run",
                           data={"mapping": "1", "col-0": "", "col-1": "name", "col-2": "contact_name", "col-3": "equipment"})
    assert response.status_code == 200
    client.post(f"/associations/imports/{batch_id}/commit")
    company = db.session.scalar(select(Company))
    assert company.equipment == "镜架" and company.products == "" and company.contacts[0].name == "李志强"


def test_mapping_without_a_name_column_is_refused(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    batch_id = _batch_id(upload(association, "dir.csv", csv_bytes()))
    response = client.htmx("post", f"/associations/imports/{batch_id}/dry-run", data={"mapping": "1", "col-1": "contact_name"})
    assert response.status_code == 422
    assert "Choose the column that holds the company name." in response.get_data(as_text=True)
    assert client.post(f"/associations/imports/{batch_id}/commit").status_code == 422
    assert _count(Company) == 0


def test_encoding_override(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    batch_id = _batch_id(upload(association, "gbk.csv", csv_bytes(encoding="gbk")))
    response = client.post(f"/associations/imports/{batch_id}/dry-run", data={"mapping": "1", "encoding": "utf-8-sig",
                                                                            "col-0": "name"})
    assert response.status_code == 422
    assert "cannot be read as UTF-8" in response.get_data(as_text=True)
    response = client.post(f"/associations/imports/{batch_id}/dry-run", data={"mapping": "1", "encoding": "gb18030",
                                                                            "col-0": "name"})
    assert response.status_code == 200 and "温州华信眼镜有限公司" in response.get_data(as_text=True)


def test_htmx_paths(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    response = upload(association, "dir.csv", csv_bytes(), htmx=True)
    assert response.status_code == 204 and "/associations/imports/" in response.headers["HX-Location"]
    batch_id = _batch_id(response)
    response = client.htmx("post", f"/associations/imports/{batch_id}/dry-run")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "HX-Request" in response.headers["Vary"]
    assert 'id="report"' in body
    assert _count(Company) == 0  # a dry run writes nothing


def test_failure_half_way_leaves_the_database_as_it_was(client, login_as, make_association, upload, make_company,
                                                        monkeypatch):
    login_as("rep", "Wenzhou")
    existing = make_company("温州市华信眼镜有限公司")
    association = make_association()
    batch_id = _batch_id(upload(association, "dir.csv", csv_bytes()))
    client.post(f"/associations/imports/{batch_id}/dry-run")
    from app.imports import services

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")
    # By then the companies, contacts, membership links and import items are written; the audit fails.
    monkeypatch.setattr(services, "_audit", boom)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.post(f"/associations/imports/{batch_id}/commit")
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    db.session.rollback()
    assert [c.id for c in db.session.scalars(select(Company))] == [existing.id]
    assert _count(Contact) == 0 and _members(association) == set()
    assert db.session.get(ImportBatch, batch_id).status is BatchStatus.UPLOADED


def test_undo_takes_the_whole_import_back(client, login_as, make_association, upload, make_company, make_contact):
    login_as("rep", "Wenzhou")
    existing = make_company("温州市华信眼镜有限公司")
    make_contact(existing, "老联系人")
    association = make_association()
    batch, _report = _import(client, upload, association, "dir.csv", csv_bytes())
    assert _count(Company) == 4 and len(existing.contacts) == 2
    response = client.post(f"/associations/imports/{batch.id}/undo")
    assert response.status_code == 303
    db.session.expire_all()
    assert [c.id for c in db.session.scalars(select(Company))] == [existing.id]
    assert [c.name for c in db.session.scalars(select(Contact))] == ["老联系人"]
    assert _members(association) == set()
    assert db.session.get(ImportBatch, batch.id).status is BatchStatus.UNDONE
    assert "undone" in client.get(f"/associations/imports/{batch.id}").get_data(as_text=True)


def test_undo_is_refused_once_someone_worked_on_an_imported_company(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    batch, _report = _import(client, upload, association, "dir.csv", csv_bytes())
    company = db.session.scalar(select(Company).where(Company.name_key == "明光笔业"))
    client.post(f"/companies/{company.id}/contacts/new", data={"name": "新认识的人"})
    response = client.htmx("post", f"/associations/imports/{batch.id}/undo")
    assert response.status_code == 409
    assert "瑞安明光笔业股份有限公司" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _count(Company) == 4 and db.session.get(ImportBatch, batch.id).status is BatchStatus.COMMITTED


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return out.getvalue()


def _xxe_workbook() -> bytes:
    data = io.BytesIO(xlsx_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/workbook.xml":
                content = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + content.split(b"?>", 1)[-1]
            target.writestr(item, content)
    return out.getvalue()


def _bad_crc_workbook() -> bytes:
    """A workbook whose sheet fails its CRC check: the zip opens, reading the sheet fails midway."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows=ROWS * 40)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            stored = item.filename == "xl/worksheets/sheet1.xml"
            target.writestr(item.filename, source.read(item), zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    data = bytearray(out.getvalue())
    spot = data.rindex("眼镜".encode()) + 1
    data[spot] ^= 0x01
    return bytes(data)


WIDE_CSV = ("企业名称," + ",".join(f"列{i}" for i in range(5000)) + "\n"
            + "温州华信眼镜有限公司," + ",".join("x" for _ in range(5000)) + "\n").encode()
LONG_CELL_CSV = ("企业名称,联系人\n温州华信眼镜有限公司,\"" + "长" * 200_000 + "\"\n").encode()


@pytest.mark.parametrize("filename,data,message", [
    ("directory.pdf", b"%PDF-1.4 ...", "Upload a CSV file or an Excel workbook (.xlsx)."),
    ("directory.xls", b"\xd0\xcf\x11\xe0 old excel", "Save the workbook as .xlsx"),
    ("empty.csv", b"", "The file is empty."),
    ("blank.csv", b"\r\n,,,\r\n\r\n", "The file has no rows."),
    ("header-only.csv", "企业名称,联系人\n".encode(), "a header but no member rows"),
    ("fake.xlsx", "企业名称,联系人\n温州华信,李\n".encode(), "not an Excel workbook"),
    ("fake.csv", b"PK\x03\x04" + b"\0" * 100, "not a CSV text file"),
    ("bomb.xlsx", None, "refused as unsafe"),
    ("xxe.xlsx", None, "refused as unsafe"),
    ("broken.xlsx", b"PK\x03\x04broken zip", "not an Excel workbook"),
    ("bad-crc.xlsx", None, "This workbook cannot be"),
    ("wide.csv", WIDE_CSV, "Row 1 has 5001 columns"),
    ("long-cell.csv", LONG_CELL_CSV, "a cell is far too long"),
], ids=["pdf", "xls", "empty", "blank", "header-only", "csv-named-xlsx", "zip-named-csv", "zip-bomb", "xml-entities",
        "broken-zip", "bad-crc", "wide-rows", "long-cell"])
def test_bad_files_are_refused_and_change_nothing(client, login_as, make_association, upload, app, filename, data,
                                                  message):
    login_as("rep", "Wenzhou")
    association = make_association()
    data = {"bomb.xlsx": _zip_bomb, "xxe.xlsx": _xxe_workbook, "bad-crc.xlsx": _bad_crc_workbook}.get(
        filename, lambda: data)()
    response = upload(association, filename, data, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and "<html" not in body
    assert _count(ImportBatch) == 0 and _count(ImportUpload) == 0 and _count(Company) == 0


def test_too_large_file_is_refused(client, login_as, make_association, upload, app):
    login_as("rep", "Wenzhou")
    association = make_association()
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    try:
        response = upload(association, "big.csv", csv_bytes() + b"x" * (1024 * 1024))
    finally:
        app.config.pop("IMPORT_MAX_BYTES")
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)
    assert _count(ImportBatch) == 0


def test_no_file_chosen(client, login_as, make_association):
    login_as("rep", "Wenzhou")
    association = make_association()
    response = client.post(f"/associations/{association.id}/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file to upload." in response.get_data(as_text=True)


def test_formulas_are_rejected_rows_and_never_imported(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    batch, report = _import(client, upload, association, "f.xlsx", xlsx_bytes(formulas=True))
    assert "holds a formula" in report
    assert not db.session.scalar(select(func.count()).select_from(Company).where(Company.name.like("=%")))
    assert not db.session.scalar(select(func.count()).select_from(Contact).where(Contact.name == "钱七"))
    assert batch.rejected_count == 2


def test_report_csv_never_starts_a_cell_with_a_formula(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    rows = [["=cmd|' /C calc'!A0", "+李", "", "", "", "", ""], ["温州华信眼镜有限公司", "-王", "", "@x", "", "", ""]]
    batch_id = _batch_id(upload(association, "dir.csv", csv_bytes(rows)))
    response = client.get(f"/associations/imports/{batch_id}/report.csv")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    import csv as csvmod
    for row in csvmod.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert "'=cmd" in text and "'+李" in text


def test_other_region_and_anonymous(client, login_as, make_association, upload, make_user):
    association = make_association()
    other = make_association("无锡电子商会", region="Wuxi")
    login_as("rep", "Wenzhou")
    batch_id = _batch_id(upload(association, "dir.csv", csv_bytes()))
    assert upload(other, "dir.csv", csv_bytes()).status_code == 404
    client.post("/logout")
    login_as("rep", "Wuxi")
    for method, url in [("get", f"/associations/imports/{batch_id}"), ("post", f"/associations/imports/{batch_id}/dry-run"),
                        ("post", f"/associations/imports/{batch_id}/commit"), ("post", f"/associations/imports/{batch_id}/undo"),
                        ("get", f"/associations/imports/{batch_id}/report.csv"),
                        ("get", f"/associations/{association.id}/import")]:
        assert client.open(url, method=method.upper()).status_code == 404, url
    client.post("/logout")
    response = client.get(f"/associations/imports/{batch_id}")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert _count(Company) == 0


def test_cli_import_with_progress(runner, app, make_association, make_user, tmp_path):
    user = make_user("manager", "Wenzhou", email="boss@example.com")
    association = make_association()
    path = tmp_path / "directory.xlsx"
    path.write_bytes(xlsx_bytes())
    result = runner.invoke(args=["import-directory", str(path), "--association", str(association.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and _count(Company) == 0
    result = runner.invoke(args=["import-directory", str(path), "--association", str(association.id),
                                 "--user", "boss@example.com"])
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output and "4 created" in result.output
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.status == BatchStatus.COMMITTED))
    assert batch.user_id == user.id and batch.source_name == "directory.xlsx"
    assert _count(Company) == 4 and len(_members(association)) == 4


def test_cli_refuses_bad_files(runner, app, make_association, tmp_path):
    association = make_association()
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    result = runner.invoke(args=["import-directory", str(path), "--association", str(association.id)])
    assert result.exit_code != 0 and "Upload a CSV file" in result.output
    result = runner.invoke(args=["import-directory", str(path), "--association", "999"])
    assert result.exit_code != 0 and "No association" in result.output


def test_import_and_undo_are_in_the_audit_log(client, login_as, make_association, upload):
    from app.audit import AuditAction, AuditEntry
    user = login_as("rep", "Wenzhou")
    association = make_association()
    batch, _report = _import(client, upload, association, "dir.csv", csv_bytes())
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "companies",
                                                          AuditEntry.action == AuditAction.INSERT)).all()
    assert len(entries) == 4 and {e.user_id for e in entries} == {user.id}
    mingguang = next(e for e in entries if e.summary == "瑞安明光笔业股份有限公司")
    assert mingguang.changes["employees"] == [None, 150] and mingguang.region_id == association.region_id
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.table_name == "contacts", AuditEntry.action == AuditAction.INSERT)) == 4
    client.post(f"/associations/imports/{batch.id}/undo")
    deleted = db.session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.DELETE)).all()
    assert {e.table_name for e in deleted} == {"companies", "contacts"} and len(deleted) == 8
