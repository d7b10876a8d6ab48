"""A visit scheduled for a record of a higher domain: a service case's "Schedule a service visit".

Visits sits below the domains whose records a visit is made for and may not import them (the
layers in pyproject.toml). Such a domain registers the query argument its pages link with
(`visits.new?case=12`) and a function that finds that record through the signed-in person's
regions. The scheduling form then carries the id in a hidden field, says what the visit is for and
keeps it to the record's company; the save links the visit to the record in the same transaction
and lands on the record's page. No URL from the request is ever followed: where the person lands
is the page the record's own domain names.
"""
from collections.abc import Callable
from dataclasses import dataclass

from app.visits.models import Visit


@dataclass(frozen=True)
class ScheduledFor:
    """A record a new visit is scheduled for, as the domain that keeps it describes it."""

    arg: str  # the query argument and hidden field that name it ("case")
    id: int
    label: str  # what the form says the visit is for
    url: str  # the record's page, where the person lands after the save
    company_id: int  # a visit for it is a visit to this company
    link: Callable[[Visit], None]  # records the saved visit on it (flushes; the route commits)
    agenda: str = ""  # what the form's agenda starts with


_FINDERS: dict[str, Callable[[int], ScheduledFor | None]] = {}


def register(arg: str):
    """Decorate `find(record_id) -> ScheduledFor | None` (None: no such record the person may see)."""
    def decorator(fn: Callable[[int], ScheduledFor | None]) -> Callable[[int], ScheduledFor | None]:
        _FINDERS[arg] = fn
        return fn
    return decorator


def named_in(values) -> tuple[str, str] | None:
    """The first registered argument that `values` (a request's args or form) carries, with its text."""
    return next(((arg, values[arg]) for arg in _FINDERS if values.get(arg)), None)


def find(arg: str, record_id: int) -> ScheduledFor | None:
    return _FINDERS[arg](record_id)
