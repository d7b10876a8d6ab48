"""Service cases as a file (app/core/exports.py writes it): times on the case's regional clock, labels in
the reader's language, and how many of its clocks are breached as the queue counts them now."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.core import time as grove_time
from app.core.exports import Column, Table, wall_clock
from app.equipment.models import InstalledEquipment
from app.service.models import ServiceCase


def _time(attribute: str):
    return lambda c: wall_clock(getattr(c, attribute), c.region)


def _machine(c: ServiceCase) -> str:
    return f"{c.equipment.model.name} {c.equipment.serial}" if c.equipment else ""


def cases(now=None) -> Table:
    """The case table; a clock counts as breached if it is past due by `now` (default: Grove's clock)."""
    now = now or grove_time.now_utc()  # read through the module: tests move Grove's clock
    return Table(_l("Service cases"), [
        Column(_l("Case"), lambda c: c.reference, 8),
        Column(_l("Came in"), _time("received_at"), 16),
        Column(_l("Company"), lambda c: c.company.name, 30),
        Column(_l("Region"), lambda c: c.region.display_name, 10),
        Column(_l("Severity"), lambda c: c.severity, 10),
        Column(_l("Status"), lambda c: c.status, 14),
        Column(_l("Channel"), lambda c: c.channel, 14),
        Column(_l("Over our heads"), lambda c: c.over_the_head, 8),
        Column(_l("Machine"), _machine, 20),
        Column(_l("Owner"), lambda c: c.owner.name if c.owner else "", 12),
        Column(_l("What is wrong"), lambda c: c.description, 40),
        Column(_l("SLA tier"), lambda c: c.sla_tier.value, 6),
        Column(_l("Next clock due"), _time("next_due_at"), 16),
        Column(_l("Clocks breached"), lambda c: sum(k.breached_by(now) for k in c.current_clocks), 8),
        Column(_l("Acknowledged at"), _time("acknowledged_at"), 16),
        Column(_l("On site at"), _time("on_site_at"), 16),
        Column(_l("Resolved at"), _time("resolved_at"), 16),
        Column(_l("Closed at"), _time("closed_at"), 16),
    ])


# What the table reads beyond the queue's own loads (company, owner, region, clocks).
CASE_LOADS = (joinedload(ServiceCase.equipment).joinedload(InstalledEquipment.model),)
