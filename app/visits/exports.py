"""Visits as a file (app/core/exports.py writes it): times on the visit's regional clock, labels in
the reader's language, the team lead first."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.core.exports import Column, Table, joined, label, wall_clock
from app.visits.forms import LEVEL_LABELS
from app.visits.models import Visit, VisitMember


def _member(m: VisitMember) -> str:
    return f"{m.name} ({label(m.response)})" if m.response else m.name


VISITS = Table(_l("Visits"), [
    Column(_l("Starts"), lambda v: wall_clock(v.starts_at, v.region), 16),
    Column(_l("Ends"), lambda v: wall_clock(v.ends_at, v.region), 16),
    Column(_l("Company"), lambda v: v.company.name, 30),
    Column(_l("Region"), lambda v: v.region.display_name, 10),
    Column(_l("Place"), lambda v: v.place, 24),
    Column(_l("Purpose"), lambda v: v.purpose, 14),
    Column(_l("Level"), lambda v: label(LEVEL_LABELS[v.level]) if v.level in LEVEL_LABELS else v.level, 18),
    Column(_l("Status"), lambda v: v.status, 10),
    Column(_l("Team"), lambda v: joined(_member(m) for m in v.members), 24),
    Column(_l("Purchase opportunity"), lambda v: v.opportunity.title if v.opportunity else "", 20),
    Column(_l("Agenda"), lambda v: v.agenda, 30),
    Column(_l("Outcome"), lambda v: v.outcome, 30),
    Column(_l("Next steps"), lambda v: v.next_steps, 30),
])

# What the table reads beyond the list's own loads (company, team).
VISIT_LOADS = (joinedload(Visit.region), joinedload(Visit.opportunity))
