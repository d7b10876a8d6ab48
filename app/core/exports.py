"""Lists as files: the one place that turns rows into a CSV or an .xlsx download.

A domain describes what a file holds as a `Table` in its own `exports.py`: columns, each with a
translatable header and a function from a row to its value. This module writes any table:

- every text cell goes through `app.core.cells.formula_safe`, so no cell starts a formula;
- headers and enumeration labels are read in the user's language when the file is written;
- a value is what the row shows: text, a number, a `Decimal` (money: `money(cents)`), a date, or
  a local wall-clock time (`wall_clock(moment, region)`); an aware datetime is refused, so no
  table can write UTC by mistake;
- CSV is UTF-8 with a BOM (Excel then opens Chinese text as UTF-8), every value as text;
- .xlsx keeps numbers, amounts and dates as such (to sum and sort), the rest as text cells.

Routes read the list's rows with `load_rows` (at most MAX_ROWS; more is a clear 422 page) and
answer with `send_export`. Every export route sits under its list's URL with the list's own query
string: `/companies/export.csv` beside `/companies/`, `/companies/export/contacts.xlsx` for rows
tied to the list's; another format matches no route (404). `templates/_export_links.html` links them.
"""
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response, g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from app.core.cells import formula_safe
from app.core.enums import LabelledEnum
from app.core.time import local, zone_of
from app.extensions import db
from app.htmx import render

# The formats every export route offers: `<any(csv, xlsx):fmt>` in the route matches only these.
FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

# The most rows one file holds: a large region's whole visit history fits, and the rows are read
# once into memory. Beyond it the export asks for narrower filters instead.
MAX_ROWS = 50_000

DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"

# A sheet's name may not hold these, nor be longer than 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    """One column: its header (translatable, read when the file is written) and its value per row."""

    header: Any
    value: Callable[[Any], Any]
    width: int = 16


@dataclass(frozen=True)
class Table:
    """What a file holds: a title (the sheet's name) and its columns, in order."""

    title: Any
    columns: Sequence[Column]

    def header(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    def values(self, row) -> list:
        return [cell_value(c.value(row)) for c in self.columns]


def list_table(title, header: Sequence) -> Table:
    """A table whose rows are lists of values already in the header's order (a report built row by row);
    a short row (an uploaded file's ragged line) leaves its last cells empty."""
    return Table(title, [Column(h, lambda row, i=i: row[i] if i < len(row) else None) for i, h in enumerate(header)])


class TooManyRows(Exception):
    """The filters select more rows than one file holds."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def money(cents: int | None) -> Decimal | None:
    """Integer cents as an exact amount of CNY with two decimals: 48000050 → Decimal("480000.50")."""
    return None if cents is None else Decimal(cents).scaleb(-2).quantize(Decimal("0.01"))


def wall_clock(moment: datetime | None, region=None) -> datetime | None:
    """A stored (UTC) moment as the region's clock reads it, without a zone: what a cell shows."""
    return None if moment is None else local(moment, zone_of(region)).replace(tzinfo=None)


def label(member) -> str:
    """An enumeration's label, Yes/No, or a lazy string kept in a module (a level's name), in the
    reader's language and translated once per request: a large export repeats a few labels thousands
    of times, and each translation looks up the catalog."""
    labels = g.setdefault("export_labels", {}).setdefault(str(get_locale()), {})
    # Stage.WON and OpportunityStage.WON are equal strings: the type is part of the key.
    key = (type(member), member if isinstance(member, (LabelledEnum, bool)) else id(member))
    if key not in labels:
        if isinstance(member, bool):
            labels[key] = _("Yes") if member else _("No")
        else:
            labels[key] = member.label if isinstance(member, LabelledEnum) else str(member)
    return labels[key]


def joined(items: Iterable) -> str:
    """Several names or labels in one cell, as the lists show them: 眼镜、制笔."""
    return "、".join(label(i) if isinstance(i, LabelledEnum) else str(i) for i in items if i)


def cell_value(value):
    """A row's value as a cell holds it: labels for enumerations, Yes/No, numbers, dates, safe text."""
    if value is None:
        return ""
    if type(value) is str:
        return formula_safe(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, (LabelledEnum, bool)):
        value = label(value)
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("an export shows local wall-clock times: pass wall_clock(moment, region)")
        return value
    if isinstance(value, (int, float, Decimal, date)):
        return value
    # Control characters other than tab, CR and LF cannot be stored in .xlsx (and mean nothing in CSV).
    return formula_safe(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(table: Table, rows: Iterable) -> bytes:
    """The table as CSV in UTF-8 with a BOM; every value as text (a day as 2026-03-01, a time as 2026-03-01 09:00)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([formula_safe(h) for h in table.header()])
    for row in rows:
        writer.writerow([_text(v) for v in table.values(row)])
    return out.getvalue().encode("utf-8")


def sheet_title(title) -> str:
    return _SHEET_FORBIDDEN.sub(" ", str(title)).strip()[:31] or "Sheet"


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, datetime):
        cell.number_format = TIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT if value.as_tuple().exponent == -2 else "General"
    elif isinstance(value, str):
        cell.data_type = "s"  # text stays text, whatever it looks like
    return cell


def to_xlsx(table: Table, rows: Iterable) -> bytes:
    """The table as an Excel workbook of one sheet: a bold, frozen header row, typed cells, no formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(table.title))
    sheet.freeze_panes = "A2"
    for i, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    header = []
    for text in table.header():
        cell = _xlsx_cell(sheet, formula_safe(text))
        cell.font = _HEADER_FONT
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in table.values(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_xlsx}


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII name for old clients and the exact UTF-8 name (RFC 5987/6266)."""
    name = "".join(ch for ch in unicodedata.normalize("NFC", filename)
                   if unicodedata.category(ch)[0] != "C" and ch not in '/\\"')
    name = name.strip(" .") or "export"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-",
                        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()).strip("-.")
    stem, dot, extension = name.rpartition(".")
    if not ascii_name or ascii_name == extension:
        ascii_name = f"export.{extension}" if dot else "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_export(table: Table, rows: Iterable, filename: str, fmt: str) -> Response:
    """The download: `filename` without its extension, `fmt` "csv" or "xlsx" (another is a ValueError)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown export format {fmt!r}")
    response = Response(WRITERS[fmt](table, rows), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    return response


def count_rows(stmt) -> int:
    """How many rows a list's select gives (through the region scope, like the list)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def check_size(count: int) -> None:
    if count > MAX_ROWS:
        raise TooManyRows(count)


def load_rows(stmt, *options) -> list:
    """A list's rows in its order, with the eager loads the table needs: a count, then one read."""
    check_size(count_rows(stmt))
    return list(db.session.scalars(stmt.options(*options)).unique())


def too_many(error: TooManyRows):
    """The page that says the filters select more rows than a file holds, and what to do (422)."""
    return render("errors/error.html", status=422, code=422, title=_l("Too many rows for one file"),
                  text=_("These filters select %(count)s rows; one export holds at most %(max)s. "
                         "Narrow the filters (a market, a stage, an owner) and export again.",
                         count=f"{error.count:,}", max=f"{MAX_ROWS:,}"))
