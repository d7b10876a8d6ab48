"""Member-directory import: store the upload, plan a dry run, apply it all-or-nothing, undo it."""
import enum
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Company, Contact, Opportunity, Order, Stage, association_members, company_markets
from app.accounts.naming import CITIES, COUNTIES, clean_text, name_key
from app.associations.models import Association, association_markets
from app.audit import AuditAction, AuditEntry
from app.core.access import check_region
from app.core.types import utcnow
from app.extensions import db
from app.imports.models import BatchStatus, ImportBatch, ImportItem, ImportUpload, ItemAction
from app.imports.reader import (
    DIRECTORY,
    FIELD_KEYS,
    FIELDS,
    ImportFileError,
    Table,
    Vocabulary,
    check_xlsx,
    guess_mapping,
    kind_of,
    read_rows,
    read_table,
)

# Words that do not tell two companies apart when the rest of the name is the same: a row whose
# name matches an existing company only without them is a doubtful match the user confirms.
GENERIC = ("集团", "实业", "科技", "工贸", "贸易", "制造", "制品", "工业", "发展", "控股", "有限", "企业", "厂")
_GENERIC = re.compile("|".join(GENERIC))
CHUNK = 5000
# Days an upload waits to be imported before it is forgotten (IMPORT_KEEP_DAYS in the config).
KEEP_DAYS = 7
LIMITS = {"name": 200, "short_name": 80, "contact_name": 80, "title": 80, "department": 80, "phone": 40,
          "email": 254, "wechat": 80, "address": 300, "city": 80, "district": 80}


def max_bytes() -> int:
    from app.imports.reader import MAX_BYTES
    return int(current_app.config.get("IMPORT_MAX_BYTES", MAX_BYTES))


def keep_upload(region_id: int, filename: str, data: bytes, encoding: str | None = None, *,
                vocabulary: Vocabulary = DIRECTORY,
                no_rows=_l("The file has a header but no member rows.")) -> tuple[str, str, Table]:
    """Check an uploaded file and keep it, with its parsed rows, in the database until it is imported
    (any host may serve the next step): (the name it is stored under, the encoding it was read in,
    its table). Uploads older than IMPORT_KEEP_DAYS, never imported, go at the same time."""
    if len(data) > max_bytes():
        raise ImportFileError(_l("The file is larger than %(mb)s MB; split it or use the command line.",
                                 mb=max_bytes() // (1024 * 1024)))
    kind = kind_of(filename, data)
    if kind == "xlsx":
        check_xlsx(data)
    used, rows = read_rows(data, kind, encoding)
    table = read_table(rows, vocabulary=vocabulary)
    if not table.rows:
        raise ImportFileError(no_rows)
    drop_stale_uploads()
    upload = ImportUpload(name=f"{uuid.uuid4().hex}.{kind}", region_id=region_id, kind=kind, encoding=used,
                          data=data, rows=_pack(table))
    db.session.add(upload)
    return upload.name, used, table


def drop_stale_uploads() -> None:
    """Forget uploads nobody imported within IMPORT_KEEP_DAYS: their batches ask for the file again."""
    cutoff = utcnow() - timedelta(days=int(current_app.config.get("IMPORT_KEEP_DAYS", KEEP_DAYS)))
    db.session.execute(delete(ImportUpload).where(ImportUpload.created_at < cutoff)
                       .execution_options(all_regions=True, synchronize_session=False))


def store_upload(association: Association, filename: str, data: bytes, *, user_id: int | None,
                 encoding: str | None = None) -> tuple[ImportBatch, Table]:
    """Check the file, keep it until it is imported, and open a batch with a guessed mapping."""
    check_region(association.region_id)
    stored_name, used, table = keep_upload(association.region_id, filename, data, encoding)
    batch = ImportBatch(region_id=association.region_id, association_id=association.id, user_id=user_id,
                        source_name=Path(filename).name[:255] or "directory", stored_name=stored_name,
                        size_bytes=len(data), encoding=used,
                        mapping={"columns": guess_mapping(table.header)}, row_count=len(table.rows))
    db.session.add(batch)
    db.session.flush()
    return batch, table


def upload_of(batch) -> ImportUpload | None:
    """The kept upload of `batch`: any record with the upload's `stored_name` (a directory's, or
    another domain's import)."""
    return db.session.scalar(select(ImportUpload).where(ImportUpload.name == batch.stored_name))


def load_table(batch, limit: int | None = None, vocabulary: Vocabulary = DIRECTORY) -> Table:
    """The file's rows, from the parsed copy kept with the upload (parsing a 10,000-row workbook
    again for the preview, the dry run and the commit would take seconds each time); read again
    from the upload's bytes only when the user chose another encoding for a CSV file."""
    upload = upload_of(batch)
    if upload is None:
        raise ImportFileError(_l("The uploaded file is no longer on the server. Please upload it again."))
    wanted = (batch.encoding or "") if upload.kind == "csv" else ""
    if upload.encoding == wanted:
        table = _unpack(upload.rows)
    else:
        used, rows = read_rows(upload.data, upload.kind, wanted or None)
        table = read_table(rows, vocabulary=vocabulary)
        upload.encoding, upload.rows = used, _pack(table)
    if limit:
        table.rows = table.rows[:limit]
    return table


def discard_upload(batch) -> None:
    """Forget the upload of a batch that has been imported (or never will be)."""
    db.session.execute(delete(ImportUpload).where(ImportUpload.name == batch.stored_name)
                       .execution_options(synchronize_session=False))


def _pack(table: Table) -> bytes:
    data = {"header": table.header, "header_row": table.header_row, "skipped_headers": table.skipped_headers,
            "rows": table.rows}
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def _unpack(packed: bytes) -> Table:
    data = json.loads(zlib.decompress(packed))
    return Table(header=data["header"], header_row=data["header_row"], skipped_headers=data["skipped_headers"],
                 rows=data["rows"])  # [number, cells] pairs, unpacked like the tuples read_table makes


def set_mapping(batch: ImportBatch, columns: dict[str, str], encoding: str | None = None) -> None:
    batch.mapping = {"columns": {k: v for k, v in columns.items() if v in FIELD_KEYS}}
    if encoding:
        batch.encoding = encoding
    db.session.flush()


@dataclass
class RowPlan:
    number: int
    values: dict
    action: str  # create, match, doubt, merge, reject
    reason: str = ""
    company_id: int | None = None
    company_name: str = ""
    merge_row: int | None = None
    new_contact: bool = False
    key: str = ""
    shortened: list[str] = field(default_factory=list)  # "Address: 300 of 412 characters", said in the dry run


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)

    def of(self, *actions) -> list[RowPlan]:
        return [r for r in self.rows if r.action in actions]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "match": 0, "doubt": 0, "merge": 0, "reject": 0}
        for r in self.rows:
            counts[r.action] += 1
        return counts


def _employees(text: str):
    if not text:
        return None, ""
    digits = re.findall(r"\d+", text.replace(",", ""))
    if not digits:
        return None, _l("Employees is not a number: %(value)s", value=text[:40])
    n = int(digits[0])
    if "万" in text:
        n *= 10000
    return (n, "") if n <= 10_000_000 else (None, _l("Employees is not a number: %(value)s", value=text[:40]))


def _place_of(address: str) -> tuple[str, str]:
    """The city and district an address names, as directories seldom have columns for them."""
    city = next((c for c in CITIES if c.endswith("市") and (c in address or c[:-1] in address[:6])), "")
    district = next((d for d in COUNTIES if d[-1] in "市县区" and d in address), "")
    return city, district


LONG_TEXT = 5000
FIELD_LABELS = dict(FIELDS)


def _row_values(cells: list[str], columns: dict[str, str], header: list[str]):
    """A row's values by field, the problems that reject it, and the fields cut to fit their column.

    A company name that does not fit is a problem (cut, it could name another company); any other
    value is cut to its column's length and the dry run says so."""
    values, problems, formula_columns, shortened = {}, [], set(), []
    for index, fieldname in columns.items():
        i = int(index)
        raw = str(cells[i]) if i < len(cells) and cells[i] is not None else ""
        if raw.lstrip().startswith(("=", "＝")) and len(raw.strip()) > 1:
            problems.append(_l("Column “%(column)s” holds a formula; Grove imports values only.",
                               column=header[i] if i < len(header) else i + 1))
            formula_columns.add(fieldname)
            continue
        text = clean_text(raw)
        limit = LONG_TEXT if fieldname in ("products", "equipment", "background") else LIMITS.get(fieldname)
        if limit and len(text) > limit:
            if fieldname == "name":
                problems.append(_l("The company name has %(n)s characters; Grove keeps at most %(limit)s.",
                                   n=len(text), limit=limit))
            else:
                shortened.append(str(_l("%(field)s: %(limit)s of %(n)s characters kept",
                                        field=FIELD_LABELS[fieldname], limit=limit, n=len(text))))
            text = text[:limit]
        values[fieldname] = text
    if values.get("address") and not values.get("city"):
        values["city"], district = _place_of(values["address"])
        if not values.get("district"):
            values["district"] = district
    employees, problem = _employees(values.get("employees", ""))
    values["employees"] = employees
    if problem:
        problems.append(problem)
    if not values.get("name") and "name" not in formula_columns:
        problems.insert(0, _l("No company name."))
    return values, problems, shortened


def plan_import(batch: ImportBatch, table: Table, confirmed: set[int] = frozenset(), progress=None) -> Plan:
    """The dry run: what each row would do, without writing anything."""
    columns = batch.mapping.get("columns", {})
    plan = Plan()
    if "name" not in columns.values():
        return plan
    existing = {}
    loose: dict[str, tuple[int, str]] = {}
    for cid, cname, ckey in db.session.execute(
            select(Company.id, Company.name, Company.name_key).where(Company.region_id == batch.region_id)
            .execution_options(all_regions=True)):
        existing[ckey] = (cid, cname)
        loose.setdefault(_GENERIC.sub("", ckey) or ckey, (cid, cname))
    contacts = {(company_id, cname) for company_id, cname in db.session.execute(
        select(Contact.company_id, Contact.name).join(Company).where(Company.region_id == batch.region_id)
        .execution_options(all_regions=True))}
    phones = {}
    for company_id, phone in db.session.execute(
            select(Contact.company_id, Contact.phone).join(Company)
            .where(Company.region_id == batch.region_id, Contact.phone != "").execution_options(all_regions=True)):
        phones.setdefault(re.sub(r"\D", "", phone), company_id)
    names_by_id = dict(existing.values())
    seen: dict[str, RowPlan] = {}
    for number, cells in table.rows:
        if progress:
            progress(1)
        values, problems, shortened = _row_values(cells, columns, table.header)
        if problems:
            plan.rows.append(RowPlan(number, values, "reject", "; ".join(str(p) for p in problems)))
            continue
        key = name_key(values["name"])
        contact_name = values.get("contact_name", "")
        if key in seen:
            first = seen[key]
            target = first.company_id if first.action == "match" else None
            row = RowPlan(number, values, "merge", company_id=target, company_name=first.values["name"],
                          merge_row=first.number, shortened=shortened)
            row.new_contact = bool(contact_name) and (target or -first.number, contact_name) not in contacts
            if row.new_contact:
                contacts.add((target or -first.number, contact_name))
            plan.rows.append(row)
            continue
        if key in existing:
            cid, cname = existing[key]
            row = RowPlan(number, values, "match", company_id=cid, company_name=cname)
        else:
            doubt = loose.get(_GENERIC.sub("", key) or key)
            phone_digits = re.sub(r"\D", "", values.get("phone", ""))
            if doubt is None and len(phone_digits) >= 7 and phone_digits in phones:
                cid = phones[phone_digits]
                doubt = (cid, names_by_id.get(cid, ""))
            if doubt and number in confirmed:
                row = RowPlan(number, values, "match", company_id=doubt[0], company_name=doubt[1],
                              reason=str(_l("Confirmed as the same company.")))
            elif doubt:
                row = RowPlan(number, values, "doubt", company_id=doubt[0], company_name=doubt[1],
                              reason=str(_l("The name or phone is close to an existing company.")))
            else:
                row = RowPlan(number, values, "create")
        target = row.company_id if row.action == "match" else None
        row.new_contact = bool(contact_name) and (target or -number, contact_name) not in contacts
        if row.new_contact:
            contacts.add((target or -number, contact_name))
        row.key, row.shortened = key, shortened
        seen[key] = row
        plan.rows.append(row)
    return plan


COMPANY_FIELDS = ("short_name", "city", "district", "address", "products", "equipment", "background", "employees")
CONTACT_FIELDS = ("title", "department", "phone", "email", "wechat")


def _contact(values: dict, **kw) -> Contact:
    return Contact(name=values["contact_name"], **{f: values.get(f, "") for f in CONTACT_FIELDS}, **kw)


def apply_import(batch: ImportBatch, plan: Plan, progress=None) -> None:
    """Write the plan: companies, contacts, association membership, the audit trail, and what undo
    needs. Flushes only; the caller commits once, so a failure anywhere leaves the database as it was.

    Rows go in with bulk INSERTs (a 10,000-row directory in seconds, not minutes); as bulk INSERTs
    bypass the ORM flush, the audit entries the flush hook would write are written here, alike.
    """
    check_region(batch.region_id)
    if not batch.can("commit"):
        raise ImportFileError(_l("This import has already been committed."))
    now = utcnow()
    member_ids = set(db.session.scalars(select(association_members.c.company_id)
                                        .where(association_members.c.association_id == batch.association_id)))
    new_rows = [row for row in plan.rows if row.action in ("create", "doubt")]
    company_values = [{
        "region_id": batch.region_id, "name": row.values["name"], "name_key": row.key or name_key(row.values["name"]),
        "stage": Stage.PROSPECT, "score": 0, "created_at": now, "updated_at": now,
        **{f: row.values.get(f) or ("" if f != "employees" else None) for f in COMPANY_FIELDS}} for row in new_rows]
    created: dict[int, int] = {}  # row number -> new company id
    if company_values:
        # Plain executemany, then the ids by name key (unique per region): RETURNING in parameter
        # order makes SQLite insert row by row.
        db.session.execute(insert(Company.__table__), company_values)
        ids = {}
        keys = [v["name_key"] for v in company_values]
        for chunk in range(0, len(keys), CHUNK):
            ids.update(db.session.execute(
                select(Company.name_key, Company.id).where(Company.region_id == batch.region_id,
                                                           Company.name_key.in_(keys[chunk:chunk + CHUNK]))
                .execution_options(all_regions=True)).all())
        created = {row.number: ids[v["name_key"]] for row, v in zip(new_rows, company_values)}
        # A new company is in the association's markets, so a market's filter and board find it.
        market_ids = list(db.session.scalars(select(association_markets.c.market_id).where(
            association_markets.c.association_id == batch.association_id)))
        if market_ids:
            db.session.execute(insert(company_markets), [
                {"company_id": company_id, "market_id": market_id}
                for company_id in created.values() for market_id in market_ids])
    if progress:
        progress(len(plan.rows) // 3)

    def company_of(row: RowPlan) -> int:
        if row.number in created:
            return created[row.number]
        return row.company_id if row.company_id else created[row.merge_row]

    contact_rows = [row for row in plan.rows if row.action != "reject" and row.new_contact]
    contact_values = [{"company_id": company_of(row), "name": row.values["contact_name"], "notes": "",
                       **{f: row.values.get(f, "") for f in CONTACT_FIELDS}} for row in contact_rows]
    contacts: dict[int, int] = {}  # row number -> new contact id
    if contact_values:
        before = db.session.scalar(select(func.coalesce(func.max(Contact.id), 0))
                                   .execution_options(all_regions=True))
        db.session.execute(insert(Contact.__table__), contact_values)
        # The plan adds a contact name to a company once, so (company, name) finds each new row.
        ids = {(company_id, name): contact_id for contact_id, company_id, name in db.session.execute(
            select(Contact.id, Contact.company_id, Contact.name).where(Contact.id > before)
            .execution_options(all_regions=True))}
        contacts = {row.number: ids[(v["company_id"], v["name"])] for row, v in zip(contact_rows, contact_values)}
    if progress:
        progress(len(plan.rows) // 3)

    items, links = [], []
    for row in plan.rows:
        if row.action == "reject":
            continue
        company_id = company_of(row)
        linked = company_id not in member_ids
        if linked:
            member_ids.add(company_id)
            links.append({"association_id": batch.association_id, "company_id": company_id})
        items.append({"batch_id": batch.id, "row_number": row.number,
                      "action": ItemAction.CREATED if row.number in created else ItemAction.MATCHED,
                      "company_id": company_id, "contact_id": contacts.get(row.number), "linked_member": linked})
    if links:
        db.session.execute(insert(association_members), links)
    if items:
        db.session.execute(insert(ImportItem.__table__), items)
    _audit("companies", batch.region_id, now, zip(created.values(), company_values), audit_insert)
    _audit("contacts", batch.region_id, now, zip(contacts.values(), contact_values), audit_insert)
    counts = plan.counts
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = utcnow()
    discard_upload(batch)
    batch.row_count = len(plan.rows)
    batch.created_count = counts["create"] + counts["doubt"]
    batch.matched_count = counts["match"] + counts["merge"]
    batch.rejected_count = counts["reject"]
    db.session.flush()
    if progress:
        progress(len(plan.rows) - 2 * (len(plan.rows) // 3))


def _plain(value):
    if isinstance(value, str):
        return value.value if isinstance(value, enum.Enum) else value
    return value.isoformat() if isinstance(value, datetime) else value


def audit_insert(row_id, values: dict) -> tuple[str, dict]:
    changes = {k: [None, _plain(v)] for k, v in values.items() if v not in (None, "")}
    return values["name"], changes | {"id": [None, row_id]}


def audit_delete(row_id, name: str) -> tuple[str, dict]:
    return name, {"id": [row_id, None], "name": [name, None]}


def _audit(table_name: str, region_id: int, now, rows, shape) -> None:
    """Audit entries for rows written in bulk, shaped as the flush hook writes them."""
    from flask import g, has_request_context
    from flask_login import current_user

    actor = None
    if has_request_context():
        actor = current_user.id if current_user and current_user.is_authenticated else g.get("audit_user_id")
    action = AuditAction.INSERT if shape is audit_insert else AuditAction.DELETE
    entries = []
    for row_id, data in rows:
        summary, changes = shape(row_id, data)
        entries.append({"at": now, "user_id": actor, "region_id": region_id, "action": action,
                        "table_name": table_name, "row_id": str(row_id), "summary": summary[:300],
                        "changes": changes})
    if entries:
        db.session.execute(insert(AuditEntry.__table__), entries)


def undo_blockers(batch: ImportBatch) -> list[str]:
    """Names of the companies this batch created that someone has worked on since (undo would lose it)."""
    created = select(ImportItem.company_id).where(ImportItem.batch_id == batch.id,
                                                  ImportItem.action == ItemAction.CREATED)
    created_contacts = select(ImportItem.contact_id).where(ImportItem.batch_id == batch.id,
                                                           ImportItem.contact_id.is_not(None))
    from app.seminars.models import Registration
    from app.visits.models import Visit
    touched = (select(Company.name).where(Company.id.in_(created)).where(
        (Company.updated_at > batch.committed_at) | (Company.stage != Stage.PROSPECT)
        | exists().where(Opportunity.company_id == Company.id) | exists().where(Order.company_id == Company.id)
        | exists().where(Visit.company_id == Company.id) | exists().where(Registration.company_id == Company.id)
        | exists().where(Contact.company_id == Company.id, Contact.id.not_in(created_contacts)))
        .order_by(Company.name_key).limit(6).execution_options(all_regions=True))
    return list(db.session.scalars(touched))


def undo_import(batch: ImportBatch) -> None:
    """Take the whole batch back: its new companies (with their contacts), the contacts it added to
    existing companies, and the association memberships it recorded."""
    check_region(batch.region_id)
    if not batch.can("undo"):
        raise ImportFileError(_l("Only a committed import can be undone."))
    if blockers := undo_blockers(batch):
        raise ImportFileError(_l("Some imported companies were changed since (%(names)s); the import can no "
                                 "longer be undone as a whole.", names="、".join(blockers)))
    linked = select(ImportItem.company_id).where(ImportItem.batch_id == batch.id, ImportItem.linked_member)
    db.session.execute(delete(association_members).where(
        association_members.c.association_id == batch.association_id,
        association_members.c.company_id.in_(linked)))
    created = select(ImportItem.company_id).where(ImportItem.batch_id == batch.id,
                                                  ImportItem.action == ItemAction.CREATED)
    added_contacts = select(ImportItem.contact_id).where(ImportItem.batch_id == batch.id,
                                                         ImportItem.contact_id.is_not(None))
    # Bulk DELETEs (the new companies' contacts go with them by ON DELETE CASCADE), with the audit
    # entries the flush hook would have written.
    now = utcnow()
    gone_contacts = db.session.execute(
        select(Contact.id, Contact.name).where(Contact.company_id.in_(created) | Contact.id.in_(added_contacts))
        .execution_options(all_regions=True)).all()
    gone_companies = db.session.execute(select(Company.id, Company.name).where(Company.id.in_(created))
                                        .execution_options(all_regions=True)).all()
    db.session.execute(delete(Contact).where(Contact.id.in_(added_contacts)),
                       execution_options={"synchronize_session": False})
    db.session.execute(delete(Company).where(Company.id.in_(created)), execution_options={"synchronize_session": False})
    _audit("contacts", batch.region_id, now, gone_contacts, audit_delete)
    _audit("companies", batch.region_id, now, gone_companies, audit_delete)
    batch.status = BatchStatus.UNDONE
    batch.undone_at = utcnow()
    db.session.flush()


def contacts_added(batch: ImportBatch, limit: int = 200) -> tuple[list, int]:
    """The contacts this import added (name, title, phone, their company), up to `limit`, and how many in all."""
    added = (select(Contact.id, Contact.name, Contact.title, Contact.phone, Company.id.label("company_id"),
                    Company.name.label("company_name"))
             .join(ImportItem, ImportItem.contact_id == Contact.id).join(Company, Company.id == Contact.company_id)
             .where(ImportItem.batch_id == batch.id).execution_options(all_regions=True))
    total = db.session.scalar(select(func.count()).select_from(added.subquery()))
    return list(db.session.execute(added.order_by(ImportItem.row_number).limit(limit))), total


def batches_of(association: Association) -> list[ImportBatch]:
    return list(db.session.scalars(
        select(ImportBatch).where(ImportBatch.association_id == association.id)
        .options(selectinload(ImportBatch.user)).order_by(ImportBatch.id.desc()).limit(20)))
