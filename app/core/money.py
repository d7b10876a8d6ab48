"""Money in CNY, held as integer cents: one parser, one formatter, one form field.

People write `1500`, `1500.5`, `1,500.00`, `1 500`, `¥1,500` or `１５００` and mean the same
amount everywhere. What could be read two ways (`1,50`: one and a half, or a hundred and fifty?)
is refused with a message at the field, as are NaN, infinities, exponents and amounts no
column holds.
"""
import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

# Amounts are BIGINT cents on every backend.
MAX_CENTS = 2**63 - 1

_AMOUNT = re.compile(r"""
    (?P<whole>\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\ \d{3})+)   # plain, or grouped in threes one way
    (?:\.(?P<fraction>\d{1,2}))?
    """, re.VERBOSE | re.ASCII)
_CURRENCY = re.compile(r"^(?:¥|CNY|RMB)\s*|\s*(?:元|CNY|RMB)$", re.IGNORECASE)


class MoneyError(ValueError):
    """Text that is not an amount; `message` says what to type instead (translatable)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def parse_money(text: str, *, allow_negative: bool = False, maximum: int = MAX_CENTS) -> int:
    """"1,500.50" → 150050 exactly (no float); MoneyError for anything else or ambiguous."""
    # NFKC folds full-width digits, ，．￥ and the ideographic or no-break space to ASCII.
    normal = unicodedata.normalize("NFKC", text or "").strip()
    sign = normal[:1] == "-"
    normal = _CURRENCY.sub("", normal.removeprefix("-").lstrip())
    if not sign and normal[:1] == "-":  # ¥-5
        sign, normal = True, normal[1:]
    match = _AMOUNT.fullmatch(normal)
    if match is None:
        raise MoneyError(_l("Enter an amount like 1,500.00."))
    whole = re.sub("[, ]", "", match["whole"]).lstrip("0")
    if len(whole) > len(str(maximum)):  # before int(): Python refuses to convert very long digit strings
        raise MoneyError(_l("Enter a smaller amount."))
    cents = int(whole or "0") * 100 + int((match["fraction"] or "").ljust(2, "0"))
    if sign:
        if not allow_negative:
            raise MoneyError(_l("Enter an amount of 0 or more."))
        cents = -cents
    if abs(cents) > maximum:
        raise MoneyError(_l("Enter a smaller amount."))
    return cents


_PATTERN = "#,##0.00"
_PROBES = [Decimal(n).scaleb(-2) for n in (0, -1, 99999, 100000, 123456789, -100000000, 12345678901234)]


@lru_cache(maxsize=32)
def _signs(locale) -> dict[int, str] | None | bool:
    """How Python's "1,500.00" becomes the locale's amount: its grouping and decimal signs (None: as
    they are), or False where the locale groups by rules of its own (Babel then writes it)."""
    signs = str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})
    if any(f"{n:,.2f}".translate(signs) != format_decimal(n, _PATTERN, locale=locale) for n in _PROBES):
        return False
    return None if f"{_PROBES[4]:,.2f}" == format_decimal(_PROBES[4], _PATTERN, locale=locale) else signs


def format_money(cents: int | None) -> str:
    """Integer cents as CNY with grouping, in the user's locale: 150050 → "¥1,500.50".

    Babel's pattern "#,##0.00", written with Python's own grouping and the locale's signs: a list of a
    hundred amounts spent some 5 ms in Babel's pattern formatter."""
    if cents is None:
        return ""
    amount, locale = Decimal(cents).scaleb(-2), get_locale() or "en"
    signs = _signs(locale)
    if signs is False:
        return "¥" + format_decimal(amount, _PATTERN, locale=locale)
    text = f"{amount:,.2f}"
    return "¥" + (text.translate(signs) if signs else text)


def money_input(cents: int | None) -> str:
    """Cents as a form shows them for editing, without the currency: 150050 → "1,500.50"."""
    return "" if cents is None else f"{Decimal(cents).scaleb(-2):,.2f}"


class MoneyField(Field):
    """An amount typed as people write it; `.data` is integer cents, or None when left blank.

    A blank field is None: mark it required with InputRequired, or give `blank=0`. An amount that
    must be above 0 names its message in `above_zero`: a negative amount gets it too.
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, *, blank: int | None = None, allow_negative: bool = False,
                 maximum: int = MAX_CENTS, above_zero: str | None = None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)
        self.blank, self.allow_negative, self.maximum, self.above_zero = blank, allow_negative, maximum, above_zero
        self.parse_error = None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return money_input(self.data)

    def process_formdata(self, valuelist):
        self.parse_error = None
        text = valuelist[0] if valuelist else ""
        if not (text or "").strip():
            self.data = self.blank
            return
        try:
            self.data = parse_money(text, allow_negative=self.allow_negative or bool(self.above_zero),
                                    maximum=self.maximum)
        except MoneyError as error:
            self.data = None
            self.parse_error = error.message

    def pre_validate(self, form):
        if self.data is None and self.parse_error is None and not (self.raw_data and self.raw_data[0].strip()):
            self.data = self.blank  # also when the form was posted without the field at all
        if self.parse_error is not None:
            raise StopValidation(self.parse_error)
        if self.data is None and self.flags.required and self.raw_data and self.raw_data[0]:
            raise StopValidation(_l("Enter an amount like 1,500.00."))
        if self.above_zero and self.data is not None and self.data <= 0:
            raise StopValidation(self.above_zero)
