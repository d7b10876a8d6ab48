"""A visit's team and its day and hours, made in Python: the week, the printed schedule and an
expert's page show them on each of hundreds of rows, where a Jinja macro per row cost more than the
rest of the row. The `team` and `span` macros of templates/visits/_macros.html call these, so every
page writes a team and a span one way."""
from flask import g
from flask_babel import get_locale
from markupsafe import Markup, escape

from app.core.time import local, zone_of
from app.templating import localdate, localtime
from app.visits import bp


@bp.app_template_global("visit_team")
def visit_team(members) -> Markup:
    """`<span class="member lead">Name ★</span>、<span class="member">…</span>`: the lead marked,
    a head-office expert's answer after their name, a declined one struck (visits.css).

    `members` have `name`, `is_lead` and `response` (VisitMember, or services.TeamMember)."""
    labels: dict = {}
    parts = []
    for m in members:
        response = m.response
        lead = m.is_lead
        html = '<span class="member lead">' if lead else '<span class="member">'
        if response is not None and response.is_declined:
            html = html[:-2] + ' declined">'
        html += str(escape(m.name))
        if lead:
            html += " ★"
        if response is not None:
            if (label := labels.get(response)) is None:
                label = labels[response] = str(escape(response.label))
            html += f" <small>({label})</small>"
        parts.append(html + "</span>")
    return Markup("、".join(parts))


def visit_teams(visits) -> dict[int, Markup]:
    """{visit id: its team as `visit_team` writes it} for a page of many rows, each distinct team
    written once (a rep's week is the same few teams over and over)."""
    made: dict[tuple, Markup] = {}
    teams = {}
    for visit in visits:
        key = tuple(visit.members)
        if (html := made.get(key)) is None:
            html = made[key] = visit_team(visit.members)
        teams[visit.id] = html
    return teams


@bp.app_template_global("visit_span")
def visit_span(visit) -> str:
    """"day 09:00–11:00", or "day 09:00 – day 18:00" across days, on the clock of the visit's region.
    Each local day and clock time is formatted once per request (a page lists a hundred visits on a
    few dozen days; Babel's formatting was most of such a page)."""
    # Per language too: a request may write an e-mail in its reader's language.
    made = g.setdefault("visit_span_parts", {}).setdefault(str(get_locale()), {})
    region = visit.region
    name = getattr(region, "timezone", None)
    if (zone := made.get(name)) is None:
        zone = made[name] = zone_of(region)
    start_day, start_clock = _day_and_clock(made, visit.starts_at, zone, name, region)
    end_day, end_clock = _day_and_clock(made, visit.ends_at, zone, name, region)
    if start_day == end_day:
        return f"{start_day} {start_clock}–{end_clock}"
    return f"{start_day} {start_clock} – {end_day} {end_clock}"


def _day_and_clock(made: dict, moment, zone, name, region) -> tuple[str, str]:
    wall = local(moment, zone)
    day, clock = wall.date(), (name, wall.hour, wall.minute)
    if day not in made:
        made[day] = localdate(day, "short")
    if clock not in made:
        made[clock] = localtime(wall, "HH:mm", region)
    return made[day], made[clock]
