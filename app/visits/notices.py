"""What visits tell people, raised in the transaction of the change that causes it:

- an escalation waiting for approval, to the region's managers, when it is proposed;
- an invitation to every user put on a visit's team (and every regional expert with an account),
  with the visit's calendar file attached;
- a head-office expert requested, to the expert and to the admins (who may answer for them).

Invitations and requests are not sent to the person who made the change (nobody invites
themselves); an escalation is a decision waiting, so every manager of the region gets it.
"""
from datetime import datetime

from babel.lists import format_list
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core.money import format_money
from app.core.time import local, zone_of
from app.extensions import db
from app.notifications.services import admins, link_to, managers_of, notify, people
from app.visits.models import Escalation, MemberResponse, Visit, VisitMember

ALL = {"all_regions": True}


def _when(starts_at: datetime, ends_at: datetime) -> str:
    """A visit's time as the reader's language writes it, e.g. "Thursday, December 3, 2026 09:00–11:30"."""
    text = f"{format_date(starts_at.date(), 'full')} {starts_at:%H:%M}–"
    if ends_at.date() == starts_at.date():
        return text + f"{ends_at:%H:%M}"
    return text + f"{format_date(ends_at.date(), 'full')} {ends_at:%H:%M}"


# ---- an escalation to approve


def escalation_proposed(escalation: Escalation) -> None:
    """Tell the region's managers that an escalation waits for their decision."""
    company = escalation.company.display_name
    opportunity = escalation.opportunity
    title = opportunity.title if opportunity else ""
    value = opportunity.value_cents if opportunity else 0
    stage = escalation.stage or (opportunity.stage if opportunity else None)  # the stage that raised it
    reason, level, from_level = escalation.reason, escalation.proposed_level, escalation.from_level

    def subject() -> str:
        return _("Escalation to approve: %(company)s, level %(level)s", company=company, level=level)

    def body() -> str:
        if reason == "stage" and stage is not None:
            why = _("The opportunity reached the “%(stage)s” stage.", stage=stage.label)
        else:
            why = _("The opportunity is worth %(value)s, above the region’s threshold.", value=format_money(value))
        lines = [why]
        if title:
            lines.append(_("Opportunity: %(title)s, %(value)s.", title=title, value=format_money(value)))
        lines.append(_("Proposed: raise the next visit to %(company)s from level %(old)s to level %(new)s.",
                       company=company, old=from_level, new=level))
        lines.append(_("Approve or decline it on the escalation's page."))
        return "\n".join(lines)

    link = link_to("visits.escalation", escalation_id=escalation.id)
    for manager in managers_of(escalation.region_id):
        notify(manager, "escalation", f"escalation:{escalation.id}", subject=subject, body=body, link=link)


# ---- a visit's new team members


def team_added(visit: Visit, members: list[VisitMember], *, by: User | None) -> None:
    """Invite the people newly put on the visit's team, and ask the head-office experts among them."""
    if not members:
        return
    experts = {m.expert_id: m.expert for m in members if m.expert_id is not None}
    expert_users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_([e.user_id for e in experts.values() if e.user_id]))
        .execution_options(**ALL))} if experts else {}
    zone = zone_of(visit.region)
    starts_at, ends_at = local(visit.starts_at, zone), local(visit.ends_at, zone)
    company, place, level = visit.company.display_name, visit.place, visit.level
    purpose, agenda = visit.purpose, visit.agenda
    team = [m.name for m in visit.active_members]
    by_name = by.name if by is not None else ""
    link = link_to("visits.detail", visit_id=visit.id)
    calendars: dict[str, str] = {}

    def ics() -> str:
        from app.visits.calendar import calendar_of  # the calendar reads visits.services, which calls here

        locale = str(get_locale())
        if locale not in calendars:
            calendars[locale] = calendar_of([visit], [], name=company).decode()
        return calendars[locale]

    def facts() -> list[str]:
        lines = [_("When: %(when)s", when=_when(starts_at, ends_at))]
        if place:
            lines.append(_("Place: %(place)s", place=place))
        lines.append(_("Team: %(team)s", team=format_list(team, locale=get_locale())))
        if agenda:
            lines.append(_("Agenda: %(agenda)s", agenda=agenda))
        return lines

    def invitation_subject() -> str:
        return _("Invitation: visit to %(company)s, %(day)s", company=company,
                 day=format_date(starts_at.date(), "medium"))

    def invitation_body() -> str:
        first = (_("%(by)s put you on the team of a level %(level)s visit to %(company)s (%(purpose)s).",
                   by=by_name, level=level, company=company, purpose=purpose.label) if by_name else
                 _("You are on the team of a level %(level)s visit to %(company)s (%(purpose)s).",
                   level=level, company=company, purpose=purpose.label))
        return "\n".join([first, *facts()])

    for member in members:
        key = f"visit-invitation:{visit.id}:member:{member.id}"
        if member.user_id is not None:
            for person in people([member.user], leaving_out=by):
                notify(person, "visit_invitation", key, subject=invitation_subject, body=invitation_body,
                       link=link, ics=ics)
            continue
        expert = experts[member.expert_id]
        own_user = expert_users.get(expert.user_id)
        if member.response is not MemberResponse.REQUESTED:  # a regional expert: booked, not asked
            for person in people([own_user], leaving_out=by):
                notify(person, "visit_invitation", key, subject=invitation_subject, body=invitation_body,
                       link=link, ics=ics)
            continue
        _request_expert(member, expert.name, own_user, by=by, by_name=by_name, company=company, facts=facts,
                        starts_at=starts_at, link=link)


def _request_expert(member: VisitMember, expert: str, own_user: User | None, *, by, by_name, company, facts,
                    starts_at, link) -> None:
    """Ask a head-office expert to join: the expert answers on the visit's page, or an admin for them."""
    key = f"expert-requested:{member.visit_id}:member:{member.id}"

    def subject() -> str:
        return _("Head-office expert requested: %(expert)s for %(company)s, %(day)s", expert=expert,
                 company=company, day=format_date(starts_at.date(), "medium"))

    def to_expert() -> str:
        first = (_("%(by)s asks you to join a visit to %(company)s.", by=by_name, company=company) if by_name
                 else _("You are asked to join a visit to %(company)s.", company=company))
        return "\n".join([first, *facts(), _("Confirm or decline on the visit's page.")])

    def to_admin() -> str:
        first = (_("%(by)s asks for %(expert)s on a visit to %(company)s.", by=by_name, expert=expert,
                   company=company) if by_name
                 else _("%(expert)s is asked for on a visit to %(company)s.", expert=expert, company=company))
        return "\n".join([first, *facts(), _("The expert confirms or declines on the visit's page; "
                                             "an administrator may answer for them.")])

    for person in people([own_user], admins(), leaving_out=by):
        notify(person, "expert_requested", key, subject=subject,
               body=to_expert if own_user is not None and person.id == own_user.id else to_admin, link=link)
