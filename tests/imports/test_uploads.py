"""An upload lives in the database until it is imported: any host serves the next step, the
instance folder never holds it, and what will not be imported is forgotten."""
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app import create_app
from app.accounts.models import Company, Contact, association_members
from app.config import TestConfig
from app.core.types import utcnow
from app.extensions import db
from app.imports import reader
from app.imports.models import BatchStatus, ImportBatch, ImportItem, ImportUpload
from tests.conftest import PASSWORD, GroveClient
from tests.imports.conftest import csv_bytes, xlsx_bytes


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _batch_id(response) -> int:
    return int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))


@pytest.fixture
def host(database_url, tmp_path):
    """Another Grove host on the same database: an app of its own with its own instance folder."""
    hosts = []

    def start(name: str):
        class Host(TestConfig):
            SQLALCHEMY_DATABASE_URI = database_url

        grove = create_app(Host)
        grove.instance_path = str(tmp_path / name)
        grove.test_client_class = GroveClient
        hosts.append(grove)
        return grove
    yield start
    for grove in hosts:
        with grove.app_context():
            db.session.remove()
            db.engine.dispose()


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_upload_on_one_host_is_previewed_applied_and_undone_on_another(app, host, make_user, make_association,
                                                                          make_company, tmp_path):
    user = make_user("rep", "Wenzhou", locale="zh_Hans_CN")
    existing = make_company("温州市华信眼镜有限公司")
    association = make_association()
    a, b = host("host-a"), host("host-b")
    browser = a.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    response = browser.post(f"/associations/{association.id}/import", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(xlsx_bytes()), "名录.xlsx"), "encoding": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    batch_id = _batch_id(response)
    db.session.rollback()  # a fresh snapshot: the other hosts' writes since
    assert _count(ImportUpload) == 1 and _files(tmp_path) == []

    # The same browser, its next requests sent to host B by the proxy.
    on_b = b.test_client()
    on_b._cookies = dict(browser._cookies)
    page = on_b.get(f"/associations/imports/{batch_id}").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in page and "不在服务器上" not in page
    dry = on_b.post(f"/associations/imports/{batch_id}/dry-run")
    assert dry.status_code == 200 and "瑞安明光笔业股份有限公司" in dry.get_data(as_text=True)
    assert on_b.post(f"/associations/imports/{batch_id}/commit").status_code == 303

    db.session.rollback()
    batch = db.session.get(ImportBatch, batch_id)
    assert batch.status is BatchStatus.COMMITTED and (batch.created_count, batch.matched_count) == (3, 1)
    assert _count(Company) == 4 and _count(Contact) == 4
    assert len(db.session.scalars(select(association_members.c.company_id).where(
        association_members.c.association_id == association.id)).all()) == 4
    assert _count(ImportItem, ImportItem.batch_id == batch_id) == 4
    assert _count(ImportUpload) == 0  # imported: the file is not kept
    assert _files(tmp_path) == []

    # Undone through host A again.
    assert browser.post(f"/associations/imports/{batch_id}/undo").status_code == 303
    db.session.rollback()
    assert db.session.get(ImportBatch, batch_id).status is BatchStatus.UNDONE
    assert [c.id for c in db.session.scalars(select(Company))] == [existing.id]
    assert _count(Contact) == 0 and _count(ImportUpload) == 0
    assert _files(tmp_path) == []


def test_an_installed_base_upload_on_one_host_is_applied_on_another(app, host, make_user, make_company, tmp_path):
    from app.equipment.models import EquipmentImport, InstalledEquipment, MachineModel, model_key
    user = make_user("manager", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    db.session.add(MachineModel(name="GX-500", key=model_key("GX-500")))
    db.session.commit()
    a, b = host("host-a"), host("host-b")
    browser = a.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    data = "客户名称,设备型号,出厂编号\n温州华信眼镜有限公司,GX-500,SN-001\n温州华信眼镜有限公司,GX-500,SN-002\n"
    response = browser.post("/equipment/import", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(data.encode()), "machines.csv"), "encoding": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    import_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))
    on_b = b.test_client()
    on_b._cookies = dict(browser._cookies)
    assert "SN-001" in on_b.get(f"/equipment/imports/{import_id}").get_data(as_text=True)
    assert on_b.post(f"/equipment/imports/{import_id}/dry-run").status_code == 200
    assert on_b.post(f"/equipment/imports/{import_id}/commit").status_code == 303
    db.session.rollback()
    assert db.session.get(EquipmentImport, import_id).status is BatchStatus.COMMITTED
    assert sorted(db.session.scalars(select(InstalledEquipment.serial).where(
        InstalledEquipment.company_id == company.id))) == ["SN-001", "SN-002"]
    assert _count(ImportUpload) == 0 and _files(tmp_path) == []


def test_the_workbook_is_parsed_once_for_preview_dry_run_and_commit(client, login_as, make_association, upload,
                                                                    monkeypatch):
    login_as("rep", "Wenzhou")
    association = make_association()
    reads = []
    real = reader.read_table
    monkeypatch.setattr("app.imports.services.read_table", lambda *a, **kw: reads.append(1) or real(*a, **kw))
    batch_id = _batch_id(upload(association, "dir.xlsx", xlsx_bytes()))
    client.get(f"/associations/imports/{batch_id}")
    client.post(f"/associations/imports/{batch_id}/dry-run")
    assert client.post(f"/associations/imports/{batch_id}/commit").status_code == 303
    assert len(reads) == 1
    assert _count(Company) == 4


def test_another_encoding_reads_the_kept_bytes_again(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    batch_id = _batch_id(upload(association, "gbk.csv", csv_bytes(encoding="gbk")))
    assert db.session.scalar(select(ImportUpload.encoding)) == "gb18030"
    response = client.post(f"/associations/imports/{batch_id}/dry-run", data={"mapping": "1", "encoding": "utf-8-sig",
                                                                            "col-0": "name"})
    assert response.status_code == 422 and "cannot be read as UTF-8" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(ImportUpload.encoding)) == "gb18030"  # nothing changed
    # A file that reads in either: chosen again, its rows are read from the kept bytes and kept so.
    batch_id = _batch_id(upload(association, "ascii.csv", b"Company name,Phone\nAcme Optical,13800001111\n"))
    response = client.post(f"/associations/imports/{batch_id}/dry-run", data={"mapping": "1", "encoding": "gb18030",
                                                                            "col-0": "name"})
    assert response.status_code == 200 and "Acme Optical" in response.get_data(as_text=True)
    db.session.rollback()
    kept = db.session.scalar(select(ImportUpload).where(
        ImportUpload.name == db.session.get(ImportBatch, batch_id).stored_name))
    assert kept.encoding == "gb18030"


def test_uploads_nobody_imported_are_forgotten_after_some_days(client, login_as, make_association, upload):
    login_as("rep", "Wenzhou")
    association = make_association()
    old_id = _batch_id(upload(association, "old.csv", csv_bytes()))
    db.session.execute(update(ImportUpload).values(created_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    new_id = _batch_id(upload(association, "new.csv", csv_bytes()))
    db.session.expire_all()
    kept = db.session.scalars(select(ImportUpload.name)).all()
    assert kept == [db.session.get(ImportBatch, new_id).stored_name]
    response = client.get(f"/associations/imports/{old_id}")
    assert response.status_code == 422 and "no longer on the server" in response.get_data(as_text=True)
    assert client.post(f"/associations/imports/{old_id}/commit").status_code == 422
    assert _count(Company) == 0


def test_a_cli_dry_run_keeps_nothing_and_an_import_keeps_no_file(runner, app, make_association, tmp_path):
    association = make_association()
    path = tmp_path / "directory.csv"
    path.write_bytes(csv_bytes())
    result = runner.invoke(args=["import-directory", str(path), "--association", str(association.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert _count(ImportUpload) == 0 and _count(ImportBatch) == 0
    result = runner.invoke(args=["import-directory", str(path), "--association", str(association.id)])
    assert result.exit_code == 0, result.output
    assert _count(ImportUpload) == 0 and _count(ImportBatch, ImportBatch.status == BatchStatus.COMMITTED) == 1
