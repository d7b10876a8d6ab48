"""Registrations as CSV and .xlsx: what a spreadsheet shows, never a formula."""
import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app.core.cells import formula_safe
from app.seminars.models import Registration, Seminar


def _text_cell(value) -> str:
    """Every cell of the export is text (a waiting-list position too), and none starts a formula."""
    return formula_safe("" if value is None else str(value))


def _rows(seminar: Seminar, registrations: list[Registration]):
    questions = list(seminar.questions)
    header = [_("Name"), _("Company"), _("Job title"), _("Phone"), _("E-mail"), _("Status"),
              _("Waiting-list position"), _("Checked in"), _("Registered"), *[q.label for q in questions]]
    yield header
    for r in registrations:
        answers = r.answers or {}
        yield [r.name, r.company_name, r.title, r.phone, r.email or "", r.status.label,
               r.waitlist_position or "", r.checked_in_at.isoformat(timespec="minutes") if r.checked_in_at else "",
               r.created_at.isoformat(timespec="minutes") if r.created_at else "",
               *[(answers.get(str(q.id)) or {}).get("answer", "") for q in questions]]


def to_csv(seminar: Seminar, registrations: list[Registration]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _rows(seminar, registrations):
        writer.writerow([_text_cell(v) for v in row])
    # The BOM lets Excel open the Chinese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(seminar: Seminar, registrations: list[Registration]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Registrations")[:31]
    for i, row in enumerate(_rows(seminar, registrations)):
        sheet.append([_text_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"
            if i == 0:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (14, 28, 14, 16, 26, 12, 10, 18, 18)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
