"""Orders as CSV and .xlsx: labels in the reader's language, amounts exact, no cell a formula."""
import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app.accounts.models import Order
from app.core.cells import formula_safe
from app.keyaccounts.orders.services import OrderExport


def _amount(cents: int) -> Decimal:
    """Cents as an exact decimal amount of CNY: 48000050 → Decimal("480000.50")."""
    return Decimal(cents).scaleb(-2).quantize(Decimal("0.01"))


def _header() -> list[str]:
    return [_("Ordered on"), _("Company"), _("Region"), _("Markets"), _("Amount (CNY)"), _("Products / lines"),
            _("Purchase opportunity"), _("Notes"), _("Stage"), _("Tier")]


def _row(order: Order, markets: dict[int, list[str]]) -> list:
    company = order.company
    return [order.ordered_on, company.name, company.region.name, "、".join(markets.get(company.id, [])),
            _amount(order.amount_cents), order.description, order.opportunity.title if order.opportunity else "",
            order.notes, company.stage.label, company.tier.value if company.tier else ""]


def _text(value) -> str:
    return formula_safe("" if value is None else str(value))


def to_csv(export: OrderExport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_text(v) for v in _header()])
    for order in export.orders:
        # Every cell as text: the day as YYYY-MM-DD, the amount with exactly two decimals.
        writer.writerow([_text(v.isoformat() if hasattr(v, "isoformat") else v) for v in _row(order, export.markets)])
    # The BOM lets Excel open the Chinese text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(export: OrderExport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Orders")[:31]
    sheet.append([_text(v) for v in _header()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for order in export.orders:
        values = _row(order, export.markets)
        # The day and the amount stay a date and a number (to sum and sort); the rest is text.
        sheet.append([v if i in (0, 4) else _text(v) for i, v in enumerate(values)])
        row = sheet[sheet.max_row]
        row[0].number_format = "yyyy-mm-dd"
        row[4].number_format = "#,##0.00"
        for i, cell in enumerate(row):
            if i not in (0, 4):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJ", (12, 30, 12, 16, 16, 28, 24, 30, 12, 6)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
