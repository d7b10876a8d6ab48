from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.associations.models import Association
from app.core.access import load
from app.core.exports import list_table, send_export
from app.core.inputs import as_id
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, wants_fragment
from app.imports import bp, services
from app.imports.forms import ENCODING_CHOICES, UploadForm
from app.imports.models import ImportBatch
from app.imports.reader import ALIASES, FIELDS, ImportFileError

PREVIEW_ROWS = 8
REPORT_ROWS = 50


@bp.before_request
@login_required
def _require_login():
    """Imports are staff-only."""


@bp.route("/<int:association_id>/import", methods=["GET", "POST"])
def upload(association_id: int):
    """Upload a member directory: the file is checked and kept until the import is committed."""
    association = load(Association, association_id)
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read(services.max_bytes() + 1)
        try:
            batch, _table = services.store_upload(association, form.file.data.filename or "", data,
                                                  user_id=current_user.id, encoding=form.encoding.data or None)
        except ImportFileError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(error.message)]
        else:
            db.session.commit()
            return redirect_after_write(url_for("associations.imports.preview", batch_id=batch.id))
    return invalid("imports/upload.html", "imports/_upload_form.html", association=association, form=form,
                   fields=FIELDS, aliases=ALIASES)


def _columns_from_form(header: list[str]) -> dict[str, str]:
    columns = {}
    for i in range(len(header)):
        value = request.form.get(f"col-{i}", "")
        if value:
            columns[str(i)] = value
    return columns


def _preview_context(batch, table, **extra) -> dict:
    return {"batch": batch, "association": batch.association, "header": table.header,
            "sample": table.rows[:PREVIEW_ROWS], "fields": FIELDS, "encodings": ENCODING_CHOICES,
            "columns": batch.mapping.get("columns", {}), "report_rows": REPORT_ROWS, **extra}


def _file_problem(batch, error):
    # Also answers GETs (the stored file cannot be read): not a form's 422, so it sets the status itself.
    return render("imports/preview.html", "imports/_report.html", status=422, batch=batch,
                  association=batch.association, file_error=str(error.message), header=[], sample=[],
                  fields=FIELDS, encodings=ENCODING_CHOICES, columns={}, report_rows=REPORT_ROWS)


@bp.get("/imports/<int:batch_id>")
def preview(batch_id: int):
    """The first rows and the column mapping Grove guessed (or, once committed, the import's report)."""
    batch = load(ImportBatch, batch_id)
    if not batch.can("commit"):
        contacts, contacts_total = services.contacts_added(batch, REPORT_ROWS)
        return render("imports/batch.html", batch=batch, association=batch.association, contacts=contacts,
                      contacts_total=contacts_total)
    try:
        table = services.load_table(batch, limit=PREVIEW_ROWS)
    except ImportFileError as error:
        return _file_problem(batch, error)
    return render("imports/preview.html", **_preview_context(batch, table))


def _dry_run(batch, confirmed=frozenset()):
    table = services.load_table(batch)
    if request.method == "POST" and request.form.get("mapping") == "1":
        columns = _columns_from_form(table.header)
        encoding = request.form.get("encoding", "")
        services.set_mapping(batch, columns, encoding if encoding in {"utf-8-sig", "gb18030"} else None)
        if encoding and encoding != batch.encoding:
            table = services.load_table(batch)
    plan = services.plan_import(batch, table, confirmed)
    return table, plan


@bp.post("/imports/<int:batch_id>/dry-run")
def dry_run(batch_id: int):
    """Save the mapping and show what the import would create, match and reject, writing nothing else."""
    batch = load(ImportBatch, batch_id)
    if not batch.can("commit"):
        return redirect_after_write(url_for("associations.imports.preview", batch_id=batch.id))
    encoding = request.form.get("encoding", "")
    if encoding in {"utf-8-sig", "gb18030"}:
        batch.encoding = encoding
    try:
        table, plan = _dry_run(batch)
    except ImportFileError as error:
        db.session.rollback()
        return _file_problem(batch, error)
    db.session.commit()
    mapping_error = None
    if "name" not in batch.mapping["columns"].values():
        mapping_error = _("Choose the column that holds the company name.")
    elif len(set(batch.mapping["columns"].values())) < len(batch.mapping["columns"]):
        mapping_error = _("Each Grove field can take one column only.")
    respond = invalid if mapping_error else render
    # Swapped in by htmx, the report brings the step indicator along (out of band).
    return respond("imports/preview.html", "imports/_report.html", oob_steps=wants_fragment(),
                   **_preview_context(batch, table, plan=plan, mapping_error=mapping_error))


@bp.post("/imports/<int:batch_id>/commit")
def commit(batch_id: int):
    """Import every planned row in one transaction: all of it or, on any failure, nothing."""
    batch = load(ImportBatch, batch_id)
    if not batch.can("commit"):
        return redirect_after_write(url_for("associations.imports.preview", batch_id=batch.id))
    confirmed = {row for n in request.form.getlist("confirm") if (row := as_id(n)) is not None}
    try:
        table = services.load_table(batch)
        plan = services.plan_import(batch, table, confirmed)
        if not plan.rows:
            raise ImportFileError(_("Choose the column that holds the company name."))
        services.apply_import(batch, plan)
    except ImportFileError as error:
        db.session.rollback()
        return _file_problem(batch, error)
    db.session.commit()
    return redirect_after_write(url_for("associations.imports.preview", batch_id=batch.id))


@bp.post("/imports/<int:batch_id>/undo")
def undo(batch_id: int):
    """Take a committed import back as a whole, while nobody has worked on what it created."""
    batch = load(ImportBatch, batch_id)
    try:
        services.undo_import(batch)
    except ImportFileError as error:
        db.session.rollback()
        contacts, contacts_total = services.contacts_added(batch, REPORT_ROWS)
        return render("imports/batch.html", "imports/_batch_summary.html", status=409, batch=batch,
                      association=batch.association, undo_error=str(error.message), contacts=contacts,
                      contacts_total=contacts_total)
    db.session.commit()
    return redirect_after_write(url_for("associations.imports.preview", batch_id=batch.id))


@bp.get("/<int:association_id>/import/template.<any(csv, xlsx):fmt>")
def template(association_id: int, fmt: str):
    """An empty directory with the columns Grove reads, headed in the user's language, and one example row."""
    load(Association, association_id)
    example = {"name": _("Wenzhou Huaxin Optical Co., Ltd."), "contact_name": _("Wang Jianguo"),
               "title": _("Equipment manager"), "phone": "138 0000 1111", "city": _("Wenzhou"),
               "products": _("Optical frames"), "employees": "300"}
    table = list_table(_("Member directory"), [label for _key, label in FIELDS])
    return send_export(table, [[example.get(key, "") for key, _label in FIELDS]], "member-directory-template", fmt)


@bp.get("/imports/<int:batch_id>/report.csv")
def report_csv(batch_id: int):
    """The dry run of every row as CSV, with the reason of each rejection; no cell can start a formula."""
    batch = load(ImportBatch, batch_id)
    try:
        table = services.load_table(batch)
    except ImportFileError as error:
        return _file_problem(batch, error)
    plan = services.plan_import(batch, table)
    labels = {"create": _("New company"), "match": _("Matched"), "doubt": _("Doubtful match"),
              "merge": _("Repeats an earlier row"), "reject": _("Rejected")}
    cells = dict(table.rows)
    rows = [[row.number, labels[row.action], row.reason, row.company_name, *cells[row.number]] for row in plan.rows]
    report = list_table(_("Import report"), [_("Row"), _("Result"), _("Reason"), _("Existing company"), *table.header])
    return send_export(report, rows, f"import-{batch.id}-report", "csv")

