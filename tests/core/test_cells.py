"""Formula-safe cells: one function for every CSV and .xlsx Grove writes, ASCII and full-width leads alike."""
import csv
import io

import pytest
from openpyxl import load_workbook

from app.core import exports
from app.core.cells import formula_safe
from app.seminars.exports import registrations
from app.seminars.models import Registration, RegistrationStatus, Seminar

LEADS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"]


@pytest.mark.parametrize("value,expected", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+86 138", "'+86 138"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\r=1", "'\r=1"), ("\n=1", "'\n=1"), ("＝1+1", "'＝1+1"), ("＋86", "'＋86"), ("－1", "'－1"),
    ("＠SUM(1)", "'＠SUM(1)"), ("温州华信", "温州华信"), ("a=b", "a=b"), (" =1", " =1"), ("", ""), (None, ""),
    (12, 12), (-3, -3), (1.5, 1.5), (True, "True")])
def test_formula_safe(value, expected):
    assert formula_safe(value) == expected


def _registrations(lead: str):
    seminar = Seminar(title="讲座")
    return seminar, [Registration(seminar=seminar, name=f"{lead}HYPERLINK(1)", company_name=f"{lead}cmd", title="",
                                  phone=f"{lead}1", email="", status=RegistrationStatus.CONFIRMED,
                                  waitlist_position=3)]


@pytest.mark.parametrize("lead", LEADS)
def test_seminar_exports_quote_every_lead(app, lead):
    with app.test_request_context():
        seminar, rows = _registrations(lead)
        csv_cells = [c for row in csv.reader(io.StringIO(exports.to_csv(registrations(seminar), rows).decode("utf-8-sig")))
                     for c in row]
        sheet = load_workbook(io.BytesIO(exports.to_xlsx(registrations(seminar), rows))).active
    xlsx_cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert f"'{lead}cmd" in csv_cells
    for cells in (csv_cells, xlsx_cells):  # (.xlsx keeps a CR as _x000D_)
        assert "3" in cells and any(str(c).startswith("'") and str(c).endswith("cmd") for c in cells)
        assert not any(str(c).startswith(tuple(LEADS)) for c in cells)


def test_screening_csv_quotes_full_width_leads(client, login_as, make_market, make_company, make_association):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    evil = make_company("＝HYPERLINK(1)眼镜有限公司", products="＠SUM(1)", background="－2+3", city="＋86")
    make_association(markets=[market], members=[evil])
    response = client.get(f"/markets/{market.id}/screening.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][0] == "'＝HYPERLINK(1)眼镜有限公司"
    assert not any(cell.startswith(tuple(LEADS)) for cell in rows[1])
