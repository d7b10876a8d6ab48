"""The one export writer (app/core/exports.py): typed cells, formula-safe text, local times, file names,
the row cap. Helpers at the top read a download back for the domain tests (tests/*/test_exports.py)."""
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from app.accounts.models import Stage, Tier
from app.core import exports
from app.core.exports import Column, Table, cell_value, content_disposition, money, send_export, wall_clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet reads as the start of a formula (ASCII and full-width), and a classic payload.
INJECTIONS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1+1)", "＝1+1", "＋86", "－2", "＠SUM(1)", "\t=1", "\r=1"]
LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_rows(response) -> list[list[str]]:
    """A CSV download's rows (after checking it is one: text/csv, UTF-8 with a BOM, an attachment)."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_sheet(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX and response.headers["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.data)).active


def xlsx_rows(response) -> list[list]:
    """An .xlsx download's rows as values ("" for an empty cell)."""
    return [["" if c.value is None else c.value for c in row] for row in xlsx_sheet(response).iter_rows()]


def column(rows: list[list], header: str) -> list:
    """One column's values below the header row."""
    i = rows[0].index(header)
    return [r[i] for r in rows[1:]]


class Thing:
    def __init__(self, **kw):
        vars(self).update(kw)


TABLE = Table("Things", [
    Column("Name", lambda t: t.name, 20),
    Column("Stage", lambda t: t.stage),
    Column("Count", lambda t: t.count),
    Column("Amount", lambda t: money(t.cents)),
    Column("Day", lambda t: t.day),
    Column("At", lambda t: wall_clock(t.at, None)),
    Column("Yes?", lambda t: t.flag),
])


def _things():
    return [Thing(name="温州华信", stage=Stage.TARGET, count=3, cents=48_000_050, day=date(2026, 3, 1),
                  at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC), flag=True),
            Thing(name=None, stage=None, count=None, cents=None, day=None, at=None, flag=False)]


def test_csv_has_a_bom_headers_and_every_value_as_text(app):
    with app.test_request_context():
        data = exports.to_csv(TABLE, _things())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Name", "Stage", "Count", "Amount", "Day", "At", "Yes?"],
                    ["温州华信", "Target", "3", "480000.50", "2026-03-01", "2026-03-02 09:00", "Yes"],
                    ["", "", "", "", "", "", "No"]]


def test_xlsx_keeps_numbers_amounts_and_times_typed_and_text_as_text(app):
    with app.test_request_context():
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(TABLE, _things()))).active
    assert sheet.title == "Things" and sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["Name", "Stage", "Count", "Amount", "Day", "At", "Yes?"]
    assert all(c.font.b for c in sheet[1])
    name, stage, count, amount, day, at, flag = sheet[2]
    assert (name.value, name.data_type) == ("温州华信", "s") and stage.value == "Target"
    assert count.value == 3 and count.data_type == "n"
    assert f"{amount.value:.2f}" == "480000.50" and amount.number_format == "#,##0.00"
    assert day.value == datetime(2026, 3, 1) and day.number_format == "yyyy-mm-dd"
    assert at.value == datetime(2026, 3, 2, 9, 0) and at.number_format == "yyyy-mm-dd hh:mm"
    assert flag.value == "Yes"
    assert sheet.column_dimensions["A"].width == 20


def test_labels_and_headers_in_the_users_language(app):
    zh_table = Table("阶段", [Column(_l("Stage"), lambda t: t.stage), Column("Tier", lambda t: t.tier)])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        rows = list(csv.reader(io.StringIO(exports.to_csv(zh_table, [Thing(stage=Stage.TARGET, tier=Tier.A)])
                                           .decode("utf-8-sig"))))
    assert rows == [["阶段", "Tier"], ["目标客户", "A 级"]]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_no_cell_starts_a_formula(app, payload):
    table = Table("x", [Column(payload, lambda t: t.name), Column("n", lambda t: t.count)])
    with app.test_request_context():
        csv_cells = [c for row in csv.reader(io.StringIO(exports.to_csv(table, [Thing(name=payload, count=-1)])
                                                          .decode("utf-8-sig"))) for c in row]
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(table, [Thing(name=payload, count=-1)]))).active
    assert csv_cells[0] == "'" + payload and csv_cells[2] == "'" + payload
    assert csv_cells[3] == "-1"  # a number is a number, not text that starts with a minus
    for row in sheet.iter_rows():
        text = row[0]
        assert text.data_type == "s" and str(text.value).startswith("'") and not text.value.startswith(LEADS)
    assert sheet.cell(row=2, column=2).value == -1


def test_control_characters_xlsx_cannot_hold_are_dropped(app):
    table = Table("x", [Column("Notes", lambda t: t.name)])
    with app.test_request_context():
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(table, [Thing(name="a\x0bb\x00c\x1f")]))).active
        text = exports.to_csv(table, [Thing(name="a\x0bb")]).decode("utf-8-sig")
    assert sheet.cell(row=2, column=1).value == "abc" and "ab" in text


def test_a_utc_time_is_refused_so_no_table_shows_utc_by_mistake(app):
    with app.test_request_context(), pytest.raises(ValueError):
        cell_value(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


def test_wall_clock_reads_the_regions_zone(app):
    class Berlin:
        timezone = "Europe/Berlin"
    moment = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert wall_clock(moment, Berlin()) == datetime(2026, 3, 2, 9, 0)
    assert wall_clock(moment, None) == datetime(2026, 3, 2, 16, 0)  # the app's zone, Asia/Shanghai


def test_the_file_name_is_safe_in_ascii_and_exact_in_utf8():
    header = content_disposition("公司-2026.csv")
    assert header.startswith('attachment; filename="2026.csv"; filename*=UTF-8\'\'')
    assert unquote(header.split("''", 1)[1]) == "公司-2026.csv"
    evil = content_disposition('a"b\r\nSet-Cookie: x=1/../..\\c.csv')
    assert "\r" not in evil and "\n" not in evil and evil.count('"') == 2
    assert "/" not in unquote(evil.split("''", 1)[1]) and "\\" not in evil
    assert content_disposition("统计.xlsx").startswith('attachment; filename="export.xlsx"')


def test_send_export_names_the_file_and_refuses_unknown_formats(app):
    with app.test_request_context():
        response = send_export(TABLE, [], "things-2026-03-01", "xlsx")
        assert response.mimetype == XLSX
        assert 'filename="things-2026-03-01.xlsx"' in response.headers["Content-Disposition"]
        with pytest.raises(ValueError):
            send_export(TABLE, [], "things", "pdf")


def test_an_empty_table_is_its_header_row(app):
    with app.test_request_context():
        assert exports.to_csv(TABLE, []).decode("utf-8-sig").splitlines() == ["Name,Stage,Count,Amount,Day,At,Yes?"]
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(TABLE, []))).active
    assert sheet.max_row == 1


def test_sheet_titles_lose_what_excel_refuses():
    assert exports.sheet_title("a/b:c*d?[e]" + "x" * 40) == "a b c d  e " + "x" * 20
    assert exports.sheet_title("") == "Sheet"


def test_money_is_exact():
    assert money(48_000_050) == Decimal("480000.50") and money(5) == Decimal("0.05") and money(None) is None


def test_a_list_table_writes_rows_built_as_lists_and_pads_short_ones(app):
    table = exports.list_table("Report", ["Row", "Result", "=Column"])
    with app.test_request_context():
        rows = list(csv.reader(io.StringIO(exports.to_csv(table, [[1, "New", "+x"], [2]]).decode("utf-8-sig"))))
    assert rows == [["Row", "Result", "'=Column"], ["1", "New", "'+x"], ["2", "", ""]]


def test_labels_are_translated_once_per_request_and_never_mixed_up(app):
    from app.visits.models import Purpose
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        # Equal strings ("opportunity") of two enumerations keep their own labels.
        assert exports.label(Stage.OPPORTUNITY) != exports.label(Purpose.OPPORTUNITY)
        assert exports.label(Purpose.OPPORTUNITY) == Purpose.OPPORTUNITY.label
        assert (exports.label(True), exports.label(False)) == ("是", "否")
        assert exports.joined([Stage.TARGET, "制笔", None]) == "目标客户、制笔"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert exports.label(Stage.TARGET) == "Target"  # a new request (its own g) reads its language
