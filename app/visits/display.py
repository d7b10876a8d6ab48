"""A visit's team as HTML, made in Python: the week and the printed schedule show it on each of a
busy week's 480 rows, where a Jinja macro call per row cost more than the rest of the row. The
`team` macro of templates/visits/_macros.html calls it, so every page writes a team one way."""
from markupsafe import Markup, escape

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
