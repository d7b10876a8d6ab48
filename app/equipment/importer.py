"""Installed-base import: a list of machines (customer, model, serial, site, dates) from CSV or .xlsx,
read by the member directory's reader, checked row by row in a dry run, written all or nothing,
and undone as a whole while nobody has worked on what it created."""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Company
from app.accounts.naming import clean_text, name_key
from app.core.access import check_region
from app.core.time import today_in
from app.core.types import utcnow
from app.equipment.models import EquipmentImport, InstalledEquipment, MachineModel, model_key
from app.equipment.services import install_date_problem, warranty_date_problem
from app.extensions import db
from app.imports import services as files
from app.imports.models import BatchStatus
from app.imports.reader import ImportFileError, Table, Vocabulary

FIELDS = (
    ("company", _l("Company")),
    ("model", _l("Machine model")),
    ("serial", _l("Serial number")),
    ("site", _l("Site")),
    ("installed_on", _l("Installed on")),
    ("warranty_until", _l("Warranty until")),
)
REQUIRED = ("company", "model", "serial")
# Header words as customer lists and service records spell them, most specific first.
ALIASES = {
    "company": ("客户名称", "用户名称", "使用单位", "用户单位", "企业名称", "公司名称", "单位名称", "客户", "用户",
                "企业", "公司", "单位", "customer name", "customer", "company name", "company", "account"),
    "model": ("设备型号", "机器型号", "规格型号", "机型", "型号", "machine model", "model", "type"),
    "serial": ("出厂编号", "机身编号", "机身号", "设备编号", "序列号", "编号", "serial number", "serial no", "serial",
               "s/n", "sn"),
    "site": ("安装地点", "使用地点", "安装位置", "车间", "厂区", "地点", "site", "location", "workshop", "plant"),
    "installed_on": ("安装日期", "安装时间", "投产日期", "交付日期", "installation date", "installed on", "installed",
                     "install date"),
    "warranty_until": ("保修截止日期", "保修到期日", "保修截止", "保修到期", "保修期至", "质保到期", "质保截止", "保修",
                       "质保", "warranty until", "warranty end", "warranty expires", "warranty"),
}
EQUIPMENT = Vocabulary(FIELDS, ALIASES, key="company")
LIMITS = {"company": 200, "model": 120, "serial": 80, "site": 200}
PREVIEW_ROWS = 8

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
# Excel counts days from 1899-12-30; a date cell read as its number is one of these.
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(text: str) -> date | None:
    """`2024-03-15`, `2024/3/15`, `2024.3.15`, `2024年3月15日`, `20240315` or an Excel day number; else None."""
    text = clean_text(text)
    try:
        if match := _DATE.fullmatch(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if re.fullmatch(r"\d{5}(?:\.0+)?", text) and 20_000 <= float(text) <= 80_000:
            return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    except ValueError:
        return None
    return None


def store_upload(region_id: int, filename: str, data: bytes, *, user_id: int | None,
                 encoding: str | None = None) -> EquipmentImport:
    """Check the file, keep it, and open an import for the region with a guessed mapping."""
    check_region(region_id)
    stored_name, used, table = files.keep_upload(region_id, filename, data, encoding, vocabulary=EQUIPMENT,
                                                 no_rows=_l("The file has a header but no machine rows."))
    batch = EquipmentImport(region_id=region_id, user_id=user_id, source_name=Path(filename).name[:255] or "machines",
                            stored_name=stored_name, size_bytes=len(data), encoding=used,
                            mapping={"columns": EQUIPMENT.guess_mapping(table.header)}, row_count=len(table.rows))
    db.session.add(batch)
    db.session.flush()
    return batch


def load_table(batch: EquipmentImport, limit: int | None = None) -> Table:
    return files.load_table(batch, limit, vocabulary=EQUIPMENT)


def set_mapping(batch: EquipmentImport, columns: dict[str, str], encoding: str | None = None) -> None:
    batch.mapping = {"columns": {k: v for k, v in columns.items() if v in EQUIPMENT.keys}}
    if encoding:
        batch.encoding = encoding
    db.session.flush()


def mapping_error(batch: EquipmentImport):
    """What is wrong with the column mapping (a message), or None."""
    chosen = list(batch.mapping.get("columns", {}).values())
    if missing := [label for key, label in FIELDS if key in REQUIRED and key not in chosen]:
        return _l("Choose the columns that hold: %(fields)s.", fields="、".join(str(m) for m in missing))
    if len(set(chosen)) < len(chosen):
        return _l("Each Grove field can take one column only.")
    return None


@dataclass
class RowPlan:
    number: int
    values: dict
    action: str  # create, reject
    reason: str = ""
    company_id: int | None = None
    company_name: str = ""
    model_id: int | None = None


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)

    def of(self, action: str) -> list[RowPlan]:
        return [r for r in self.rows if r.action == action]

    @property
    def counts(self) -> dict[str, int]:
        return {"create": len(self.of("create")), "reject": len(self.of("reject"))}


def _row_values(cells: list[str], columns: dict[str, str], header: list[str]) -> tuple[dict, list]:
    values, problems = {}, []
    for index, fieldname in columns.items():
        i = int(index)
        raw = str(cells[i]) if i < len(cells) and cells[i] is not None else ""
        if raw.lstrip().startswith(("=", "＝")) and len(raw.strip()) > 1:
            problems.append(_l("Column “%(column)s” holds a formula; Grove imports values only.",
                               column=header[i] if i < len(header) else i + 1))
            continue
        values[fieldname] = clean_text(raw)[:LIMITS.get(fieldname, 200)]
    return values, problems


def plan_import(batch: EquipmentImport, table: Table) -> Plan:
    """The dry run: what each row would do, without writing anything."""
    columns = batch.mapping.get("columns", {})
    plan = Plan()
    if mapping_error(batch) is not None:
        return plan
    companies = {key: (cid, cname) for cid, cname, key in db.session.execute(
        select(Company.id, Company.name, Company.name_key).where(Company.region_id == batch.region_id)
        .execution_options(all_regions=True))}
    models = {m.key: m.id for m in db.session.scalars(select(MachineModel))}
    taken = {serial.upper(): name for serial, name in db.session.execute(
        select(InstalledEquipment.serial, Company.name).join(Company, Company.id == InstalledEquipment.company_id)
        .where(InstalledEquipment.region_id == batch.region_id).execution_options(all_regions=True))}
    seen: dict[str, int] = {}
    today = today_in(batch.region)
    for number, cells in table.rows:
        values, problems = _row_values(cells, columns, table.header)
        company = companies.get(name_key(values["company"])) if values.get("company") else None
        model_id = models.get(model_key(values.get("model", "")))
        serial = values.get("serial", "")
        if "company" in values and not values["company"]:
            problems.append(_l("No company."))
        elif values.get("company") and company is None:
            problems.append(_l("No company named “%(name)s” in this region.", name=values["company"]))
        if "model" in values and not values["model"]:
            problems.append(_l("No machine model."))
        elif values.get("model") and model_id is None:
            problems.append(_l("Unknown machine model “%(model)s”: add it to the machine models first.",
                               model=values["model"]))
        if "serial" in values and not serial:
            problems.append(_l("No serial number."))
        elif serial.upper() in taken:
            problems.append(_l("Serial number %(serial)s is already in Grove (%(company)s).", serial=serial,
                               company=taken[serial.upper()]))
        elif serial.upper() in seen:
            problems.append(_l("Serial number %(serial)s repeats row %(row)s.", serial=serial,
                               row=seen[serial.upper()]))
        dates = {}
        for key, label in (("installed_on", _l("Installed on")), ("warranty_until", _l("Warranty until"))):
            if values.get(key):
                dates[key] = parse_date(values[key])
                if dates[key] is None:
                    problems.append(_l("%(field)s is not a date: %(value)s", field=label, value=values[key][:40]))
        installed, warranty = dates.get("installed_on"), dates.get("warranty_until")
        for problem in (install_date_problem(installed, today), warranty_date_problem(warranty, installed)):
            if problem:
                problems.append(problem)
        if problems:
            plan.rows.append(RowPlan(number, values, "reject", "; ".join(str(p) for p in problems)))
            continue
        seen[serial.upper()] = number
        values.update(installed_on=installed, warranty_until=warranty)
        plan.rows.append(RowPlan(number, values, "create", company_id=company[0], company_name=company[1],
                                 model_id=model_id))
    return plan


def apply_import(batch: EquipmentImport, plan: Plan) -> None:
    """Write the plan's machines, remembering the import on each (undo removes them). Flushes only;
    the caller commits once, so a failure anywhere leaves the database as it was."""
    check_region(batch.region_id)
    if not batch.can("commit"):
        raise ImportFileError(_l("This import has already been committed."))
    now = utcnow()  # the machines' own time: undo tells a later change by updated_at > committed_at
    db.session.add_all(InstalledEquipment(
        region_id=batch.region_id, company_id=row.company_id, model_id=row.model_id, serial=row.values["serial"],
        site=row.values.get("site", ""), installed_on=row.values.get("installed_on"),
        warranty_until=row.values.get("warranty_until"), import_id=batch.id, created_at=now, updated_at=now)
        for row in plan.of("create"))
    counts = plan.counts
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = now
    files.discard_upload(batch)
    batch.row_count = len(plan.rows)
    batch.created_count = counts["create"]
    batch.rejected_count = counts["reject"]
    db.session.flush()


def _referenced_elsewhere(batch: EquipmentImport):
    """The batch's machines that a row of another table (a service case, say) points to."""
    ids = select(InstalledEquipment.id).where(InstalledEquipment.import_id == batch.id).scalar_subquery()
    conditions = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is InstalledEquipment.__table__ and fk.parent.table is not InstalledEquipment.__table__:
                conditions.append(select(fk.parent).where(fk.parent.in_(ids)).exists())
    return conditions


def undo_blockers(batch: EquipmentImport) -> list[str]:
    """Serials of the machines this import created that someone has changed or used since."""
    mine = InstalledEquipment.import_id == batch.id
    blockers = list(db.session.scalars(
        select(InstalledEquipment.serial).where(mine, InstalledEquipment.updated_at > batch.committed_at)
        .order_by(InstalledEquipment.serial).limit(6).execution_options(all_regions=True)))
    if not blockers and any(db.session.scalar(select(condition)) for condition in _referenced_elsewhere(batch)):
        blockers = [str(_l("machines used by other records"))]
    return blockers


def undo_import(batch: EquipmentImport) -> None:
    """Take the whole import back: the machines it created."""
    check_region(batch.region_id)
    if not batch.can("undo"):
        raise ImportFileError(_l("Only a committed import can be undone."))
    if blockers := undo_blockers(batch):
        raise ImportFileError(_l("Some imported machines were changed since (%(serials)s); the import can no "
                                 "longer be undone as a whole.", serials="、".join(blockers)))
    for machine in db.session.scalars(select(InstalledEquipment).where(InstalledEquipment.import_id == batch.id)):
        db.session.delete(machine)
    batch.status = BatchStatus.UNDONE
    batch.undone_at = utcnow()
    db.session.flush()


def recent_imports(region_ids) -> list[EquipmentImport]:
    return list(db.session.scalars(
        select(EquipmentImport).where(EquipmentImport.region_id.in_(region_ids))
        .order_by(EquipmentImport.id.desc()).limit(10)))

