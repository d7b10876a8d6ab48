"""A seminar's registrations as a file (app/core/exports.py writes it): every cell text, a waiting-list
position and the times too, the times on the seminar's regional clock; a column per sign-up question."""
from flask_babel import lazy_gettext as _l

from app.core.exports import Column, Table, wall_clock
from app.seminars.models import Question, QuestionKind, Registration, Seminar

YES_NO = {"yes": _l("Yes"), "no": _l("No")}


def _time(moment, seminar: Seminar) -> str:
    shown = wall_clock(moment, seminar.region)
    return shown.strftime("%Y-%m-%d %H:%M") if shown else ""


def _answer(question: Question):
    """The person's answer; a yes/no answer in the reader's language (是 / 否), not as it is stored."""
    def answer(r: Registration) -> str:
        given = ((r.answers or {}).get(str(question.id)) or {}).get("answer", "")
        if question.kind is QuestionKind.YES_NO and given in YES_NO:
            return str(YES_NO[given])
        return given
    return answer


def registrations(seminar: Seminar) -> Table:
    """The registrations table of one seminar."""
    def position(r: Registration) -> str:
        return str(r.waitlist_position) if r.waitlist_position else ""

    return Table(_l("Registrations"), [
        Column(_l("Name"), lambda r: r.name, 14),
        Column(_l("Company"), lambda r: r.company_name, 28),
        Column(_l("Job title"), lambda r: r.title, 14),
        Column(_l("Phone"), lambda r: r.phone, 16),
        Column(_l("E-mail"), lambda r: r.email, 26),
        Column(_l("Status"), lambda r: r.status, 12),
        Column(_l("Waiting-list position"), position, 10),
        Column(_l("Checked in"), lambda r: _time(r.checked_in_at, seminar), 18),
        Column(_l("Registered"), lambda r: _time(r.created_at, seminar), 18),
        *[Column(q.label, _answer(q), 20) for q in seminar.questions],
    ])
