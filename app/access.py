"""Region access: one ORM hook limits every query of a non-admin to the regions they belong to.

`g.region_scope` holds the user's region ids for the request (set in `load_scope`); when it
is unset (admins, anonymous public pages, the CLI) queries are not limited. A statement can
opt out with `execution_options(all_regions=True)`, which only code that checks access in
another way may do.
"""
from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session, with_loader_criteria

from app.extensions import db


def _criteria(region_ids: list[int]):
    # Imported here: the domain packages import this module for get_or_404.
    from app.accounts.models import Company, Contact, Opportunity, Order
    from app.admin.models import AuditEntry, CadenceRule
    from app.associations.models import Association, Membership
    from app.experts.models import Expert
    from app.markets.models import Market
    from app.seminars.models import Registration, Seminar
    from app.visits.models import Visit

    region_owned = (Market, Association, Company, Expert, Seminar, Visit, CadenceRule, AuditEntry)
    companies = select(Company.id).where(Company.region_id.in_(region_ids))
    yield from (with_loader_criteria(m, m.region_id.in_(region_ids), include_aliases=True)
                for m in region_owned)
    for model in (Contact, Opportunity, Order):
        yield with_loader_criteria(model, model.company_id.in_(companies), include_aliases=True)
    yield with_loader_criteria(
        Membership,
        Membership.association_id.in_(select(Association.id).where(Association.region_id.in_(region_ids))),
        include_aliases=True)
    yield with_loader_criteria(
        Registration,
        Registration.seminar_id.in_(select(Seminar.id).where(Seminar.region_id.in_(region_ids))),
        include_aliases=True)


@event.listens_for(Session, "do_orm_execute")
def _limit_to_regions(state) -> None:
    if not state.is_select or state.execution_options.get("all_regions"):
        return
    region_ids = g.get("region_scope") if has_request_context() else None
    if region_ids is None:
        return
    state.statement = state.statement.options(*_criteria(region_ids))


def load_scope() -> None:
    """Before each request: remember which regions the signed-in user may see."""
    if current_user.is_authenticated and not current_user.is_admin:
        g.region_scope = current_user.region_ids or [-1]
    else:
        g.region_scope = None


def allowed_region_ids() -> list[int] | None:
    """The regions the current user may write to; None means all (admin)."""
    return g.get("region_scope")


def check_region(region_id: int) -> None:
    """Refuse a write into a region the user does not belong to (403)."""
    allowed = allowed_region_ids()
    if allowed is not None and region_id not in allowed:
        abort(403)


def get_or_404(model, ident):
    """Load one row by primary key through the region scope; another region's row is a 404."""
    return db.first_or_404(select(model).where(model.id == ident))
