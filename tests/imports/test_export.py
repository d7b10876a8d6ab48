import pytest

from app.core.cells import safe_cell


@pytest.mark.parametrize("value,expected", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+86 138", "'+86 138"), ("-1", "'-1"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("＝1+1", "'＝1+1"), ("温州华信", "温州华信"), ("", ""), (None, ""), (12, 12), (-3, -3)])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
