"""Region access: one ORM hook limits every query of a non-admin to the regions they belong to.

`g.region_scope` holds the user's region ids for the request (set in `load_scope`); when it
is unset (admins, anonymous public pages, the CLI) queries are not limited. A statement can
opt out with `execution_options(all_regions=True)`, which only code that checks access in
another way may do.
"""
from functools import cache, lru_cache, wraps

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, exists, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import LoaderCriteriaOption
from sqlalchemy.sql.cache_key import anon_map

from app.core.inputs import in_range
from app.extensions import db


@cache
def _region_owned() -> tuple[list, list]:
    """The models limited to the user's regions, read from the mapper registry once.

    A model with a `region_id` column is limited by it; a child model declares the parent it
    reaches its region through (`__region_via__ = "company"`, a many-to-one relationship) and
    is limited to rows whose parent is visible. A model whose rows may have no region at all
    (`__region_optional__`, the head office's experts) shows those rows to every region.
    """
    owned, children = [], []
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if (via := vars(model).get("__region_via__")) is not None:
            rel = mapper.relationships[via]
            (column,) = rel.local_columns
            children.append((model, mapper.get_property_by_column(column).class_attribute, rel.mapper.class_))
        elif "region_id" in mapper.columns:
            owned.append(model)
    return owned, children


class _RegionCriterion(LoaderCriteriaOption):
    """A region criterion whose part of every statement's cache key is worked out once.

    Every statement of a signed-in request carries one criterion per region-owned model (about
    forty), and SQLAlchemy walks each criterion's expression to build the statement's cache key,
    statement after statement: a third of the time of a page of forty queries. A criterion is
    immutable and built once per set of regions (`_criteria`), so its key and the bound
    parameters the walk collects (the region ids, in walking order) are kept on it and replayed:
    the statement's key is the same tuple the walk would give, and the same parameters are
    extracted for a cached statement.
    """

    _traverse_internals = LoaderCriteriaOption._traverse_internals

    def _gen_cache_key(self, anon, bindparams):
        try:
            key, params = self._region_key
        except AttributeError:
            params = []
            key = super()._gen_cache_key(anon_map(), params)
            self._region_key = key, tuple(params)
            params = self._region_key[1]
        bindparams.extend(params)
        return key


@lru_cache(maxsize=1024)
def _criteria(region_ids: tuple[int, ...]) -> tuple:
    """The loader criteria for these regions, built once per set of regions (every query adds them)."""
    owned, children = _region_owned()
    options = []
    for model in owned:
        criterion = model.region_id.in_(region_ids)
        if vars(model).get("__region_optional__"):
            criterion = or_(model.region_id.is_(None), criterion)
        options.append(_RegionCriterion(model, criterion, include_aliases=True))
    for model, parent_key, parent in children:
        # A correlated EXISTS on the parent's key: one index lookup per row, where an IN over the
        # region's parents would read every company of the region for each query.
        p = aliased(parent)
        visible = exists().where(p.id == parent_key, p.region_id.in_(region_ids)).correlate_except(p)
        options.append(_RegionCriterion(model, visible, include_aliases=True))
    return tuple(options)


@event.listens_for(Session, "do_orm_execute")
def _limit_to_regions(state) -> None:
    # Bulk UPDATE and DELETE through the ORM are limited like SELECTs, so they cannot reach across.
    if not (state.is_select or state.is_update or state.is_delete) or state.execution_options.get("all_regions"):
        return
    region_ids = g.get("region_scope") if has_request_context() else None
    if region_ids is None:
        return
    criteria = _criteria(tuple(region_ids))
    # A relationship's load (lazy, selectin) carries the criteria of the query that loaded its
    # parent: they propagate to loaders. Added again, every condition appeared twice in its SQL, and
    # once more at each level below (a company's contacts' roles: three times, 105 options).
    if state.is_relationship_load and any(option is criteria[0] for option in state.statement._with_options):
        return
    # What statement.options(*criteria) does, without coercing each of the ~35 options again on every
    # query (they are options already): 5 µs an option, some 3 ms of a company page's 23 queries.
    statement = state.statement._generate()
    statement._with_options += criteria
    state.statement = statement


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


def allow_experts(view):
    """Mark a view that a signed-in expert may write through.

    Experts are read-mostly (DESIGN.md section 1): they keep their own calendar and unavailable
    days and answer the visits they are asked to join; every other write of theirs is a 403.
    """
    view.allow_experts = True
    return view


def refuse_expert_writes() -> None:
    """Before each request: a signed-in expert's write to a view not marked allow_experts is refused (403)."""
    if (request.method not in ("GET", "HEAD", "OPTIONS") and current_user.is_authenticated
            and current_user.is_expert and request.blueprint not in PUBLIC_BLUEPRINTS
            and not getattr(current_app.view_functions.get(request.endpoint), "allow_experts", False)):
        abort(403)


def may_write(endpoint: str) -> bool:
    """Whether the signed-in user may send this view a write: the rule `refuse_expert_writes` enforces,
    asked by a page before it shows a form or a button (an expert sees none they could not save)."""
    if not current_user.is_authenticated:
        return False
    return not current_user.is_expert or getattr(current_app.view_functions.get(endpoint), "allow_experts", False)


def may_delete(owner_id: int | None) -> bool:
    """Deleting a record someone else owns is for managers; its owner may delete their own."""
    return current_user.is_authenticated and (current_user.can_manage or (
        owner_id is not None and owner_id == current_user.id and not current_user.is_expert))


def require_role(*roles):
    """Decorate a view that only users of these roles may use (403 for the others).

    For a view of one record the record is loaded first, so that another region's record is a
    404 whatever the role: such views ask `current_user.can_manage` after `load` instead.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if getattr(current_user, "role", None) not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def allowed_region_ids() -> list[int] | None:
    """The regions the current user may write to; None means all (admin)."""
    return g.get("region_scope")


def check_region(region_id: int) -> None:
    """Refuse a write into a region the user does not belong to (403)."""
    allowed = allowed_region_ids()
    if allowed is not None and region_id not in allowed:
        abort(403)


def load(model, ident, *options):
    """One row by id through the region scope, with its loader options; another region's row is a 404."""
    if not in_range(ident):  # an id no row can have, from a query or a form: not an overflow
        abort(404)
    return db.first_or_404(select(model).where(model.id == ident).options(*options))
