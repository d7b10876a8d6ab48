"""Installed base, machine models, parts catalogue, regional stock and the to-reorder list."""
from decimal import Decimal

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company
from app.auth.models import Region, User
from app.auth.services import regions_for
from app.core.access import load
from app.core.exports import TooManyRows, list_table, load_rows, send_export, too_many
from app.core.forms import page_number
from app.core.like import contains
from app.core.time import now_utc, today_in
from app.equipment import bp, exports, importer, services
from app.equipment.forms import (
    AddStockForm,
    CorrectionForm,
    ImportForm,
    IssueForm,
    MachineForm,
    MachineModelForm,
    PartForm,
    PolicyForm,
    ReceiveForm,
    TransferForm,
)
from app.equipment.models import (
    EquipmentImport,
    InstalledEquipment,
    MachineModel,
    PartStock,
    SparePart,
    StockMove,
    model_key,
    part_models,
)
from app.equipment.panels import company_machines
from app.equipment.services import StockError
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.imports.forms import ENCODING_CHOICES
from app.imports.reader import ImportFileError
from app.imports.services import max_bytes
from app.outbox.services import deliver_after_response, pending_mail_ids

WARRANTY_FILTERS = ("soon", "expired", "none")


@bp.before_request
@login_required
def _require_login():
    """Every equipment page is staff-only."""


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _can_write() -> bool:
    """Reps, managers and admins keep machines and move stock; experts read."""
    return not current_user.is_expert


def _region_arg(regions: list[Region], *, required: bool) -> Region | None:
    """The `?region=` the page is about: one of the user's regions (another is a 404); else the first."""
    wanted = request.args.get("region", type=int)
    if wanted is not None:
        return next((r for r in regions if r.id == wanted), None) or abort(404)
    if required and not regions:
        abort(404)
    return regions[0] if required else None


def _model_arg(models: list[MachineModel]) -> int | None:
    """The `?model=` filter: a machine model of the catalogue, else none."""
    wanted = request.args.get("model", type=int)
    return wanted if wanted in {m.id for m in models} else None


def _page(stmt):
    return db.paginate(stmt, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False,
                       count=True)


# ---- the installed base


def _installed_base() -> dict:
    """The installed-base list's filters from the query string, and the regions, company and day they
    name: the list and its export read them alike."""
    args = request.args
    regions = regions_for(current_user)
    region = _region_arg(regions, required=False)
    models = services.machine_models()
    filters = {
        "q": args.get("q", "")[:100],
        "model_id": _model_arg(models),
        "company_id": args.get("company", type=int),
        "warranty": args.get("warranty") if args.get("warranty") in WARRANTY_FILTERS else "",
    }
    company = db.session.scalar(select(Company).where(Company.id == filters["company_id"])) \
        if filters["company_id"] else None
    if company is None:
        filters["company_id"] = None
    today = today_in(region or (regions[0] if regions else None))
    region_ids = [region.id] if region else [r.id for r in regions]
    return dict(filters=filters, regions=regions, region=region, models=models, company=company, today=today,
                stmt=services.search_equipment(region_ids=region_ids, today=today, **filters), region_ids=region_ids)


@bp.get("/equipment/")
def index():
    """The machines installed at the customers of the user's regions: search, filters, pages."""
    listed = _installed_base()
    page, region_ids = _page(listed.pop("stmt")), listed.pop("region_ids")
    return render("equipment/index.html", "equipment/_results.html", target="results", page=page, **listed,
                  can_write=_can_write(), imports=importer.recent_imports(region_ids) if _can_write() else [])


@bp.get("/equipment/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The installed-base list as CSV or .xlsx: its filters and order, every page."""
    listed = _installed_base()
    try:
        machines = load_rows(listed["stmt"], *exports.MACHINE_LOADS)
    except TooManyRows as error:
        return too_many(error)
    return send_export(exports.MACHINES, machines, f"installed-base-{listed['today'].isoformat()}", fmt)


def _machine_form(company: Company, machine: InstalledEquipment | None = None) -> MachineForm:
    form = MachineForm(obj=machine)
    form.model_id.choices = [(m.id, m.name) for m in services.machine_models()]
    form.today = today_in(company.region)
    return form


def _serial_free(form: MachineForm, region_id: int, except_id: int | None = None) -> bool:
    if form.serial.data and (other := services.serial_taken(region_id, form.serial.data, except_id=except_id)):
        form.serial.errors = [*form.serial.errors, _("Serial number %(serial)s is already at %(company)s.",
                                                     serial=other.serial, company=other.company.name)]
        return False
    return True


def _company_context(company: Company, form: MachineForm | None = None) -> dict:
    context = company_machines(company)
    if form is not None:
        context["machine_form"] = form
    return dict(company=company, **context)


def _company_changed(company_id: int):
    company = load(Company, company_id, joinedload(Company.region))
    return swap_or_redirect(url_for("accounts.detail", company_id=company_id) + "#company-equipment",
                            "equipment/company.html", "equipment/_company_equipment.html", trigger="equipmentChanged",
                            **_company_context(company))


@bp.get("/equipment/company/<int:company_id>")
def company(company_id: int):
    """A company's machines (the company page shows them; htmx reloads them after a change)."""
    company = load(Company, company_id, joinedload(Company.region))
    return render("equipment/company.html", "equipment/_company_equipment.html", target="company-equipment",
                  **_company_context(company))


@bp.route("/equipment/company/<int:company_id>/new", methods=["GET", "POST"])
def new_machine(company_id: int):
    """Add a machine to a company's installed base."""
    company = load(Company, company_id, joinedload(Company.region))
    _require(_can_write())
    form = _machine_form(company)
    if form.validate_on_submit() and _serial_free(form, company.region_id):
        services.add_machine(company, form.data)
        db.session.commit()
        return _company_changed(company.id)
    if wants_fragment("machine-form"):  # the company card's fold, opened
        return render("equipment/machine_form.html", "equipment/_machine_form.html", company=company,
                      machine_form=form)
    return invalid("equipment/machine_form.html", "equipment/_company_equipment.html", target="company-equipment",
                   form=form, machine=None, **_company_context(company, form))


@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
def edit_machine(equipment_id: int):
    """Change a machine's model, serial, site or dates."""
    machine = load(InstalledEquipment, equipment_id, joinedload(InstalledEquipment.company))
    _require(_can_write())
    form = _machine_form(machine.company, machine)
    if form.validate_on_submit() and _serial_free(form, machine.region_id, except_id=machine.id):
        services.update_machine(machine, form.data)
        db.session.commit()
        flash(_("Machine %(serial)s was saved.", serial=machine.serial), "success")
        return redirect_after_write(url_for("accounts.detail", company_id=machine.company_id) + "#company-equipment")
    return invalid("equipment/machine_form.html", form=form, machine=machine, company=machine.company)


@bp.post("/equipment/<int:equipment_id>/delete")
def delete_machine(equipment_id: int):
    """Remove a machine entered by mistake or taken out of service."""
    machine = load(InstalledEquipment, equipment_id)
    company_id = machine.company_id
    services.delete_machine(machine)
    db.session.commit()
    return _company_changed(company_id)


# ---- installed-base import


def _import_regions() -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in regions_for(current_user)]


@bp.route("/equipment/import", methods=["GET", "POST"])
def upload():
    """Upload a list of machines (CSV or .xlsx): kept until the import is committed."""
    _require(_can_write())
    choices = _import_regions()
    # One region: the form need not ask (a form posted without the field imports into it).
    form = ImportForm(region_id=choices[0][0] if len(choices) == 1 else None)
    form.region_id.choices = choices
    if request.method == "GET" and choices:
        form.region_id.data = request.args.get("region", type=int) or choices[0][0]
    if form.validate_on_submit():
        data = form.file.data.read(max_bytes() + 1)
        try:
            batch = importer.store_upload(form.region_id.data, form.file.data.filename or "", data,
                                          user_id=current_user.id, encoding=form.encoding.data or None)
        except ImportFileError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(error.message)]
        else:
            db.session.commit()
            return redirect_after_write(url_for("equipment.import_preview", import_id=batch.id))
    return invalid("equipment/import_upload.html", "equipment/_import_upload_form.html", form=form)


def _preview_context(batch: EquipmentImport, table, **extra) -> dict:
    return {"batch": batch, "header": table.header, "sample": table.rows[:importer.PREVIEW_ROWS],
            "fields": importer.FIELDS, "encodings": ENCODING_CHOICES, "columns": batch.mapping.get("columns", {}),
            "report_rows": 50, **extra}


def _import_problem(batch: EquipmentImport, error: ImportFileError):
    return render("equipment/import_preview.html", "equipment/_import_report.html", status=422, batch=batch,
                  file_error=str(error.message), header=[], sample=[], fields=importer.FIELDS,
                  encodings=ENCODING_CHOICES, columns={}, report_rows=50)


@bp.get("/equipment/imports/<int:import_id>")
def import_preview(import_id: int):
    """The file's first rows and the columns Grove guessed (or, once committed, what it did)."""
    batch = load(EquipmentImport, import_id, joinedload(EquipmentImport.region))
    if not batch.can("commit"):
        return render("equipment/import_done.html", batch=batch, can_write=_can_write())
    try:
        table = importer.load_table(batch, limit=importer.PREVIEW_ROWS)
    except ImportFileError as error:
        return _import_problem(batch, error)
    return render("equipment/import_preview.html", **_preview_context(batch, table))


@bp.post("/equipment/imports/<int:import_id>/dry-run")
def import_dry_run(import_id: int):
    """Save the column mapping and show what each row would do; nothing else is written."""
    batch = load(EquipmentImport, import_id, joinedload(EquipmentImport.region))
    if not batch.can("commit"):
        return redirect_after_write(url_for("equipment.import_preview", import_id=batch.id))
    try:
        table = importer.load_table(batch)
        if request.form.get("mapping") == "1":
            columns = {str(i): v for i in range(len(table.header)) if (v := request.form.get(f"col-{i}", ""))}
            encoding = request.form.get("encoding", "")
            importer.set_mapping(batch, columns, encoding if encoding in {"utf-8-sig", "gb18030"} else None)
            if encoding and encoding in {"utf-8-sig", "gb18030"}:
                table = importer.load_table(batch)
        plan = importer.plan_import(batch, table)
    except ImportFileError as error:
        db.session.rollback()
        return _import_problem(batch, error)
    db.session.commit()
    problem = importer.mapping_error(batch)
    respond = invalid if problem else render
    # Swapped in by htmx, the report brings the step indicator along (out of band), as the directory's does.
    return respond("equipment/import_preview.html", "equipment/_import_report.html", oob_steps=wants_fragment(),
                   **_preview_context(batch, table, plan=plan, mapping_error=str(problem) if problem else None))


@bp.post("/equipment/imports/<int:import_id>/commit")
def import_commit(import_id: int):
    """Import every acceptable row in one transaction: all of them or, on any failure, none."""
    batch = load(EquipmentImport, import_id, joinedload(EquipmentImport.region))
    if not batch.can("commit"):
        return redirect_after_write(url_for("equipment.import_preview", import_id=batch.id))
    try:
        if (problem := importer.mapping_error(batch)) is not None:
            raise ImportFileError(problem)
        plan = importer.plan_import(batch, importer.load_table(batch))
        importer.apply_import(batch, plan)
    except ImportFileError as error:
        db.session.rollback()
        return _import_problem(batch, error)
    db.session.commit()
    return redirect_after_write(url_for("equipment.import_preview", import_id=batch.id))


@bp.post("/equipment/imports/<int:import_id>/undo")
def import_undo(import_id: int):
    """Take a committed import back as a whole, while nobody has worked on its machines."""
    batch = load(EquipmentImport, import_id, joinedload(EquipmentImport.region))
    try:
        importer.undo_import(batch)
    except ImportFileError as error:
        db.session.rollback()
        return render("equipment/import_done.html", "equipment/_import_summary.html", status=409, batch=batch,
                      undo_error=str(error.message), can_write=_can_write())
    db.session.commit()
    return redirect_after_write(url_for("equipment.import_preview", import_id=batch.id))


@bp.get("/equipment/imports/<int:import_id>/report.csv")
def import_report(import_id: int):
    """The dry run of every row as CSV, with why each rejected row was; no cell can start a formula."""
    batch = load(EquipmentImport, import_id)
    try:
        table = importer.load_table(batch)
    except ImportFileError as error:
        return _import_problem(batch, error)
    plan = importer.plan_import(batch, table)
    labels = {"create": _("New machine"), "reject": _("Rejected")}
    cells = dict(table.rows)
    rows = [[row.number, labels[row.action], row.reason, row.company_name, *cells[row.number]] for row in plan.rows]
    report = list_table(_("Import report"), [_("Row"), _("Result"), _("Reason"), _("Company"), *table.header])
    return send_export(report, rows, f"equipment-import-{batch.id}-report", "csv")


# ---- machine models


def _models_context(form: MachineModelForm | None = None) -> dict:
    models = services.machine_models()
    ids = [m.id for m in models]
    region_ids = [r.id for r in regions_for(current_user)]
    installed = dict(db.session.execute(
        select(InstalledEquipment.model_id, func.count()).where(InstalledEquipment.model_id.in_(ids),
                                                                InstalledEquipment.region_id.in_(region_ids))
        .group_by(InstalledEquipment.model_id)).all()) if ids else {}
    parts = dict(db.session.execute(
        select(part_models.c.model_id, func.count()).where(part_models.c.model_id.in_(ids))
        .group_by(part_models.c.model_id)).all()) if ids else {}
    return dict(models=models, installed=installed, part_counts=parts, can_manage=current_user.can_manage,
                form=form or MachineModelForm(formdata=None))


@bp.get("/parts/models")
def models():
    """The machine models we sell and service, with how many run in the user's regions."""
    return render("equipment/models.html", **_models_context())


@bp.post("/parts/models")
def new_model():
    """Add a machine model (managers)."""
    _require(current_user.can_manage)
    form = MachineModelForm()
    if form.validate_on_submit() and _model_name_free(form):
        name = form.name.data
        db.session.add(MachineModel(name=name, key=model_key(name), description=form.description.data))
        db.session.commit()
        return redirect_after_write(url_for("equipment.models"))
    return invalid("equipment/models.html", **_models_context(form))


def _model_name_free(form: MachineModelForm, except_id: int | None = None) -> bool:
    if not model_key(form.name.data):
        form.name.errors = [*form.name.errors, _("A model name needs letters or digits.")]
        return False
    if other := services.model_named(form.name.data, except_id=except_id):
        form.name.errors = [*form.name.errors, _("%(name)s is already a machine model.", name=other.name)]
        return False
    return True


def _machine_model(model_id: int) -> MachineModel:
    return db.session.scalar(select(MachineModel).where(MachineModel.id == model_id)) or abort(404)


@bp.route("/parts/models/<int:model_id>/edit", methods=["GET", "POST"])
def edit_model(model_id: int):
    """Rename a machine model or change its description (managers)."""
    model = _machine_model(model_id)
    _require(current_user.can_manage)
    form = MachineModelForm(obj=model)
    if form.validate_on_submit() and _model_name_free(form, except_id=model.id):
        model.name, model.key, model.description = form.name.data, model_key(form.name.data), form.description.data
        db.session.commit()
        return redirect_after_write(url_for("equipment.models"))
    return invalid("equipment/model_form.html", form=form, model=model)


@bp.post("/parts/models/<int:model_id>/delete")
def delete_model(model_id: int):
    """Remove a machine model no machine runs (managers)."""
    model = _machine_model(model_id)
    _require(current_user.can_manage)
    in_use = db.session.scalar(select(exists().where(InstalledEquipment.model_id == model.id))
                               .execution_options(all_regions=True))
    if in_use:
        context = _models_context()
        context["delete_error"] = _("%(name)s runs at customers' sites; it stays in the catalogue.", name=model.name)
        return render("equipment/models.html", status=409, **context)
    db.session.delete(model)
    db.session.commit()
    return redirect_after_write(url_for("equipment.models"))


# ---- the parts catalogue


@bp.get("/parts/")
def parts():
    """The spare-parts catalogue: search by number or name, filter by machine model."""
    args = request.args
    models = services.machine_models()
    filters = {"q": args.get("q", "")[:100],
               "model_id": _model_arg(models)}
    stmt = select(SparePart).options(selectinload(SparePart.models)).order_by(SparePart.number)
    if q := filters["q"].strip():
        stmt = stmt.where(or_(contains(SparePart.number, q), contains(SparePart.name, q)))
    if filters["model_id"]:
        stmt = stmt.where(exists().where(part_models.c.part_id == SparePart.id,
                                         part_models.c.model_id == filters["model_id"]))
    return render("equipment/parts.html", "equipment/_parts_results.html", target="results", page=_page(stmt),
                  filters=filters, models=models, can_manage=current_user.can_manage)


def _part(part_id: int) -> SparePart:
    return db.session.scalar(select(SparePart).where(SparePart.id == part_id)
                             .options(selectinload(SparePart.models))) or abort(404)


def _part_form(part: SparePart | None = None) -> PartForm:
    form = PartForm(obj=part)
    form.model_ids.choices = [(m.id, m.name) for m in services.machine_models()]
    if part is not None and request.method == "GET":
        form.model_ids.data = [m.id for m in part.models]
        form.unit_cost.data = part.unit_cost_cents
    return form


def _save_part(part: SparePart | None):
    _require(current_user.can_manage)
    form = _part_form(part)
    if form.validate_on_submit():
        other = db.session.scalar(select(SparePart).where(SparePart.number == form.number.data,
                                                          SparePart.id != (part.id if part else -1)))
        if other is None:
            part = part or SparePart()
            part.number, part.name = form.number.data, form.name.data
            part.failure_rate, part.unit_cost_cents = form.failure_rate.data, form.unit_cost.data
            part.models = list(db.session.scalars(select(MachineModel).where(MachineModel.id.in_(form.model_ids.data))))
            db.session.add(part)
            db.session.commit()
            return redirect_after_write(url_for("equipment.part", part_id=part.id))
        form.number.errors = [*form.number.errors,
                              _("Part %(number)s is already in the catalogue.", number=other.number)]
    return invalid("equipment/part_form.html", form=form, part=part)


@bp.route("/parts/new", methods=["GET", "POST"])
def new_part():
    """Add a part to the catalogue (managers)."""
    return _save_part(None)


@bp.route("/parts/<int:part_id>/edit", methods=["GET", "POST"])
def edit_part(part_id: int):
    """Change a part's name, models, failure rate or cost (managers)."""
    return _save_part(_part(part_id))


@bp.get("/parts/<int:part_id>")
def part(part_id: int):
    """A part: the models it fits, and its stock and suggested minimum in each of the user's regions."""
    return render("equipment/part.html", **_part_context(_part(part_id)))


def _part_context(part: SparePart, **extra) -> dict:
    lines = [(region, services.stock_lines(region.id, [part])[0]) for region in regions_for(current_user)]
    return dict(part=part, lines=lines, can_manage=current_user.can_manage, can_write=_can_write(), **extra)


@bp.post("/parts/<int:part_id>/delete")
def delete_part(part_id: int):
    """Remove a part from the catalogue, while no region has moved it (managers)."""
    part = _part(part_id)
    _require(current_user.can_manage)
    moved = db.session.scalar(select(exists().where(StockMove.part_id == part.id)).execution_options(all_regions=True))
    if moved:
        return render("equipment/part.html", status=409, **_part_context(
            part, delete_error=_("%(number)s has stock moves; it stays in the catalogue.", number=part.number)))
    db.session.delete(part)
    db.session.commit()
    return redirect_after_write(url_for("equipment.parts"))


# ---- stock


@bp.get("/stock/")
def stock():
    """A region's stock: on hand, minimum, maximum, lead time and the suggestion with its inputs."""
    args = request.args
    regions = regions_for(current_user)
    region = _region_arg(regions, required=True)
    models = services.machine_models()
    filters = {"q": args.get("q", "")[:100],
               "model_id": _model_arg(models),
               "below": args.get("below") == "1"}
    page = _page(services.stock_query(region.id, q=filters["q"], below=filters["below"], model_id=filters["model_id"]))
    lines = services.stock_lines(region.id, list(page.items))
    return render("equipment/stock.html", "equipment/_stock_results.html", target="results", page=page, lines=lines,
                  filters=filters, models=models, regions=regions, region=region, can_write=_can_write(),
                  add_form=_add_stock_form(region, formdata=None))


def _add_stock_form(region: Region | None = None, **kw) -> AddStockForm:
    form = AddStockForm(**kw)
    form.region_id.choices = [(r.id, r.name) for r in regions_for(current_user)]
    if region is not None and form.region_id.data is None:
        form.region_id.data = region.id
    return form


@bp.post("/stock/add")
def add_stock():
    """Start keeping a part in a region's stock (by its part number); its page takes the first receipt."""
    form = _add_stock_form()
    part = None
    if form.validate_on_submit():
        part = db.session.scalar(select(SparePart).where(SparePart.number == form.part_number.data))
        if part is None:
            form.part_number.errors = [*form.part_number.errors, _("No part with this number in the catalogue.")]
    if part is None:
        regions = regions_for(current_user)
        region = next((r for r in regions if r.id == form.region_id.data), None) or (regions[0] if regions else None)
        if region is None:
            abort(404)
        page = _page(services.stock_query(region.id))
        return invalid("equipment/stock.html", "equipment/_add_stock_form.html", target="add-stock", page=page,
                       lines=services.stock_lines(region.id, list(page.items)),
                       filters={"q": "", "model_id": None, "below": False}, models=services.machine_models(),
                       regions=regions, region=region, can_write=True, add_form=form)
    stock = services.ensure_stock(form.region_id.data, part.id)
    db.session.commit()
    return redirect_after_write(url_for("equipment.stock_item", stock_id=stock.id))


def _stock_row(stock_id: int) -> PartStock:
    return load(PartStock, stock_id, joinedload(PartStock.region),
                joinedload(PartStock.part).selectinload(SparePart.models))


FORMS = {"receive": ReceiveForm, "issue": IssueForm, "transfer": TransferForm, "correct": CorrectionForm,
         "policy": PolicyForm}


def _forms(stock: PartStock, submitted: str | None = None) -> dict:
    """Every form of a stock page, the submitted one read from the request, the others empty."""
    forms = {}
    for name, form_class in FORMS.items():
        forms[name] = form_class(prefix=name) if name == submitted else form_class(prefix=name, formdata=None)
    forms["transfer"].to_region_id.choices = [(r.id, r.name) for r in regions_for(current_user)
                                              if r.id != stock.region_id]
    if submitted != "policy":
        policy = forms["policy"]
        policy.minimum.data, policy.maximum.data, policy.lead_days.data = stock.minimum, stock.maximum, stock.lead_days
    return forms


def _item_context(stock: PartStock, forms: dict | None = None) -> dict:
    on_hand = services.on_hand(stock.region_id, [stock.part_id], checked=True)[stock.part_id]
    suggestion = services.suggestions(stock.region_id, [stock.part], {stock.part_id: stock.lead_days})[stock.part_id]
    moves = _page(select(StockMove).where(StockMove.region_id == stock.region_id, StockMove.part_id == stock.part_id)
                  .options(joinedload(StockMove.by).lazyload(User.regions))
                  .order_by(StockMove.at.desc(), StockMove.id.desc()).execution_options(all_regions=True))
    line = services.StockLine(part=stock.part, stock=stock, on_hand=on_hand, suggestion=suggestion)
    return dict(stock=stock, part=stock.part, region=stock.region, line=line, moves=moves,
                forms=forms or _forms(stock), can_write=_can_write(), can_manage=current_user.can_manage)


def _item_changed(stock_id: int, message: str):
    stock = _stock_row(stock_id)
    if not wants_fragment("stock-item"):
        flash(message, "success")
    return swap_or_redirect(url_for("equipment.stock_item", stock_id=stock_id), "equipment/stock_item.html",
                            "equipment/_stock_item.html", trigger="stockChanged", **_item_context(stock),
                            done=message)


@bp.get("/stock/<int:stock_id>")
def stock_item(stock_id: int):
    """One part in one region: on hand, the policy and the suggestion, the moves; receive, issue,
    transfer and correct it here."""
    stock = _stock_row(stock_id)
    return render("equipment/stock_item.html", "equipment/_stock_item.html", target="stock-item",
                  **_item_context(stock))


def _move(stock_id: int, name: str, act, *, managers_only: bool = False):
    """Validate the named form, make the move through `act(stock, form)`, commit; or 422 with the message."""
    stock = _stock_row(stock_id)
    _require(current_user.can_manage if managers_only else _can_write())
    forms = _forms(stock, name)
    form = forms[name]
    if form.validate_on_submit():
        try:
            message = act(stock, form)
        except StockError as error:
            db.session.rollback()
            stock = _stock_row(stock_id)
            getattr(form, error.field).errors = [*getattr(form, error.field).errors, str(error)]
        else:
            outbox_ids = pending_mail_ids()  # a part fallen below its minimum tells the managers
            db.session.commit()
            return deliver_after_response(_item_changed(stock_id, message), outbox_ids)
    return invalid("equipment/stock_item.html", "equipment/_stock_item.html", target="stock-item",
                   **_item_context(stock, forms))


@bp.post("/stock/<int:stock_id>/receive")
def receive(stock_id: int):
    """Parts arrived: add them to the region's stock."""
    def act(stock, form):
        services.receive_part(stock.region_id, stock.part_id, form.quantity.data, reference=form.reference.data,
                              by=current_user)
        return _("%(n)s received.", n=form.quantity.data)
    return _move(stock_id, "receive", act)


@bp.post("/stock/<int:stock_id>/issue")
def issue(stock_id: int):
    """Parts taken out for a repair: never more than are on hand."""
    def act(stock, form):
        services.issue_part(stock.region_id, stock.part_id, form.quantity.data, reference=form.reference.data,
                            by=current_user)
        return _("%(n)s issued.", n=form.quantity.data)
    return _move(stock_id, "issue", act)


@bp.post("/stock/<int:stock_id>/transfer")
def transfer(stock_id: int):
    """Send parts to another of the user's regions: out of this stock and into that one, together."""
    def act(stock, form):
        services.transfer_part(stock.region_id, form.to_region_id.data, stock.part_id, form.quantity.data,
                               reference=form.reference.data, by=current_user)
        return _("%(n)s sent to %(region)s.", n=form.quantity.data,
                 region=dict(form.to_region_id.choices)[form.to_region_id.data])
    return _move(stock_id, "transfer", act)


@bp.post("/stock/<int:stock_id>/correct")
def correct(stock_id: int):
    """A count correction with its reason: the difference between the shelf and the sum of moves."""
    def act(stock, form):
        services.correct_stock(stock.region_id, stock.part_id, form.quantity.data, reason=form.reason.data,
                               by=current_user)
        return _("The count was corrected by %(n)s.", n=f"{form.quantity.data:+d}")
    return _move(stock_id, "correct", act)


@bp.post("/stock/<int:stock_id>/policy")
def set_policy(stock_id: int):
    """Set the minimum, maximum and lead time by hand (managers)."""
    def act(stock, form):
        services.set_policy(stock, minimum=form.minimum.data, maximum=form.maximum.data,
                            lead_days=form.lead_days.data)
        return _("The stock levels were saved.")
    return _move(stock_id, "policy", act, managers_only=True)


@bp.post("/stock/<int:stock_id>/take-suggestion")
def take_suggestion(stock_id: int):
    """Make the suggested minimum the region's minimum (managers)."""
    stock = _stock_row(stock_id)
    _require(current_user.can_manage)
    minimum = services.take_suggestion(stock)
    db.session.commit()
    return _item_changed(stock_id, _("The minimum is now the suggested %(n)s.", n=minimum))


# ---- to reorder


def _reorder_context() -> dict:
    regions = regions_for(current_user)
    region = _region_arg(regions, required=True)
    lines = services.reorder_lines(region.id)
    return dict(region=region, regions=regions, lines=lines, printed_at=now_utc(),
                total_cents=sum(line.order_cents for line in lines))


@bp.get("/stock/reorder")
def reorder():
    """The parts below their minimum in a region, what to order up to the maximum, and the machines
    (models, how many, at which key accounts) that need them; prints on A4."""
    return render("equipment/reorder.html", "equipment/_reorder_table.html", target="reorder", **_reorder_context())


REORDER_COLUMNS = (_l("Part number"), _l("Part name"), _l("On hand"), _l("Minimum"), _l("Order up to"),
                   _l("To order"), _l("Unit cost (CNY)"), _l("Order value (CNY)"), _l("Machines"), _l("Key accounts"))


def _reorder_rows(lines) -> list[list]:
    rows = []
    for line in lines:
        machines = "; ".join(f"{need.model_name} ×{need.installed}" for need in line.machines)
        accounts = "; ".join(dict.fromkeys(c.name for need in line.machines for c in need.accounts))
        rows.append([line.number, line.name, line.on_hand, line.minimum, line.order_up_to,
                     line.to_order, Decimal(line.unit_cost_cents).scaleb(-2), Decimal(line.order_cents).scaleb(-2),
                     machines, accounts])
    return rows


@bp.get("/stock/reorder.<any(csv, xlsx):fmt>")
def reorder_export(fmt: str):
    """The to-reorder list as CSV or an Excel workbook; no cell can start a formula."""
    context = _reorder_context()
    name = f"reorder-{context['region'].id}-{today_in(context['region']).isoformat()}"
    return send_export(list_table(_("To reorder"), REORDER_COLUMNS), _reorder_rows(context["lines"]), name, fmt)
