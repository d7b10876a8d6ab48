"""Region access: one ORM hook limits every query of a non-admin to the regions they belong to.

`g.region_scope` holds the user's region ids for the request (set in `load_scope`); when it
is unset (admins, anonymous public pages, the CLI) queries are not limited. A statement can
opt out with `execution_options(all_regions=True)`, which only code that checks access in
another way may do.
"""
from functools import cache

from flask import abort, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, with_loader_criteria

from app.extensions import db


@cache
def _region_owned() -> tuple[list, dict]:
    """Every model with a region_id, found once; and the child models scoped through a parent.

    Found, not listed, so a model a domain adds later (an import batch, an escalation) is
    limited without anyone remembering to register it here.
    """
    # Imported here: the domain packages import this module for get_or_404.
    from app.accounts.models import Company, Contact, Opportunity, Order
    from app.associations.models import Association, Membership
    from app.seminars.models import Registration, Seminar

    owned = [m.class_ for m in db.Model.registry.mappers if "region_id" in m.columns]
    children = {
        Contact: (Contact.company_id, Company), Opportunity: (Opportunity.company_id, Company),
        Order: (Order.company_id, Company), Membership: (Membership.association_id, Association),
        Registration: (Registration.seminar_id, Seminar),
    }
    return owned, children


def _criteria(region_ids: list[int]):
    from app.experts.models import Expert

    owned, children = _region_owned()
    for model in owned:
        criterion = model.region_id.in_(region_ids)
        if model is Expert:
            # A head-office expert (no region) serves every region.
            criterion = or_(model.region_id.is_(None), criterion)
        yield with_loader_criteria(model, criterion, include_aliases=True)
    for model, (parent_key, parent) in children.items():
        yield with_loader_criteria(
            model, parent_key.in_(select(parent.id).where(parent.region_id.in_(region_ids))), include_aliases=True)


@event.listens_for(Session, "do_orm_execute")
def _limit_to_regions(state) -> None:
    # Bulk UPDATE and DELETE through the ORM are limited like SELECTs, so they cannot reach across.
    if not (state.is_select or state.is_update or state.is_delete) or state.execution_options.get("all_regions"):
        return
    region_ids = g.get("region_scope") if has_request_context() else None
    if region_ids is None:
        return
    state.statement = state.statement.options(*_criteria(region_ids))


# Blueprints whose pages anyone may open: a signed-in rep who follows another region's public
# sign-up link sees it as an attendee would, not a 404.
PUBLIC_BLUEPRINTS = {"public"}


def load_scope() -> None:
    """Before each request: remember which regions the signed-in user may see."""
    if request.blueprint in PUBLIC_BLUEPRINTS:
        g.region_scope = None
    elif current_user.is_authenticated and not current_user.is_admin:
        g.region_scope = current_user.region_ids or [-1]
    else:
        g.region_scope = None


# What an expert may change: experts are read-mostly (DESIGN.md section 1). They keep their
# own calendar and unavailable days and answer the visits they are asked to join.
EXPERT_WRITES = {"auth.logout", "auth.set_language", "experts.add_unavailable", "experts.delete_unavailable",
                 "visits.answer", "visits.my_calendar_token", "auth.change_password"}


def refuse_expert_writes() -> None:
    """Before each request: a signed-in expert's writes outside EXPERT_WRITES are refused (403)."""
    from app.auth.models import Role

    if (request.method not in ("GET", "HEAD", "OPTIONS") and current_user.is_authenticated
            and current_user.role == Role.EXPERT and request.endpoint not in EXPERT_WRITES
            and request.blueprint not in PUBLIC_BLUEPRINTS):
        abort(403)


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
    from app.core.inputs import in_range
    if not in_range(ident):  # an id no row can have, from a query or a form: not an overflow
        abort(404)
    return db.first_or_404(select(model).where(model.id == ident))
