"""Cells Grove writes into CSV files: none may start a formula when a spreadsheet opens it."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str | int:
    """Numbers pass; text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
