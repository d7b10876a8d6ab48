"""Cells Grove writes into CSV and .xlsx files: none may start a formula when a spreadsheet opens it."""

# ASCII and full-width (＝＋－＠) formula leads, and the tab, CR and LF that spreadsheets skip
# before reading one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(value) -> str | int | float:
    """Numbers pass; text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
