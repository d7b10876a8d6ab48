"""Whatever code writes, every stage or tier change is on record and account care stays current.

A flush notes the companies whose care may have changed (their visits, orders, contacts, touches,
stage or tier, machines and service cases), the regions whose rules changed, and the regions
whose spare-parts stock moved (their kept accounts with machines); the commit recomputes their
care first, in the same transaction. A change of stage or tier writes a StageChange with who and why: services
that know the why say it with `stage_cause(...)`.
"""
from contextlib import contextmanager
from itertools import chain

from flask import has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.accounts.models import Company, Contact, Order
from app.audit import actor_id
from app.equipment.models import InstalledEquipment, PartStock, StockMove
from app.extensions import db
from app.keyaccounts import care
from app.keyaccounts.models import AccountSettings, CadenceRule, ChangeCause, StageChange, Touch
from app.service.models import CaseClock, ServiceCase
from app.visits.models import Visit

COMPANIES = "keyaccounts.companies"
REGIONS = "keyaccounts.regions"
STOCK_REGIONS = "keyaccounts.stock_regions"
CAUSE = "keyaccounts.cause"


@contextmanager
def stage_cause(cause: ChangeCause, reason: str = ""):
    """Stage and tier changes flushed inside the block are recorded with this cause and note."""
    info = db.session.info
    previous = info.get(CAUSE)
    info[CAUSE] = (cause, reason[:300])
    try:
        yield
    finally:
        if previous is None:
            info.pop(CAUSE, None)
        else:
            info[CAUSE] = previous


def _record_stage_change(session: Session, company: Company) -> None:
    state = inspect(company)
    stage, tier = state.attrs.stage.history, state.attrs.tier.history
    if not (stage.has_changes() or tier.has_changes()):
        return
    old_stage = stage.deleted[0] if stage.deleted else company.stage
    old_tier = tier.deleted[0] if tier.deleted else company.tier
    if old_stage == company.stage and old_tier == company.tier:
        return
    cause, reason = session.info.get(CAUSE) or (ChangeCause.EDITED, "")
    session.add(StageChange(company=company, by_id=actor_id(), from_stage=old_stage, to_stage=company.stage,
                            from_tier=old_tier, to_tier=company.tier, cause=cause, reason=reason))


@event.listens_for(Session, "before_flush")
def _note_changes(session, flush_context, instances) -> None:
    companies = session.info.setdefault(COMPANIES, set())
    regions = session.info.setdefault(REGIONS, set())
    stock_regions = session.info.setdefault(STOCK_REGIONS, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Company):
            if obj not in session.new and obj not in session.deleted:
                _record_stage_change(session, obj)
            companies.add(("company", obj))
        elif isinstance(obj, (Visit, Order, Contact, Touch, InstalledEquipment, ServiceCase)):
            companies.add(("child", obj))
        elif isinstance(obj, CaseClock):
            companies.add(("clock", obj))
        elif isinstance(obj, (StockMove, PartStock)):
            stock_regions.add(obj)  # its region_id may be set only by the flush (region=...)
        elif isinstance(obj, (CadenceRule, AccountSettings)):
            regions.add(obj)


def _company_id(kind: str, obj) -> int | None:
    if kind == "company":
        return inspect(obj).identity[0] if inspect(obj).identity else None
    if kind == "clock":
        case = obj.case or db.session.get(ServiceCase, obj.case_id, execution_options={"all_regions": True})
        return case.company_id if case else None
    return obj.company_id


@event.listens_for(Session, "before_commit")
def _refresh_care(session) -> None:
    if not has_app_context() or session is not db.session():
        return
    care.forget_assessed()  # what a page assessed before this commit may have changed
    for _round in range(5):  # each round's writes may note more; they settle at once in practice
        # Flush first: changes still pending (no autoflush since they were made) are noted by
        # this flush, and must count in this commit, not linger until the next one.
        session.flush()
        noted = session.info.pop(COMPANIES, set())
        regions = session.info.pop(REGIONS, set())
        stock_regions = session.info.pop(STOCK_REGIONS, set())
        if not noted and not regions and not stock_regions:
            return
        ids = {cid for kind, obj in noted if (cid := _company_id(kind, obj)) is not None}
        if regions:
            care.refresh_regions({obj.region_id for obj in regions})
        if stock_regions:
            ids |= care.kept_with_machines({obj.region_id for obj in stock_regions})
        if ids:
            care.refresh(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    for key in (COMPANIES, REGIONS, STOCK_REGIONS):
        session.info.pop(key, None)
