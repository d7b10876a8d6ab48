"""Form pieces shared by every domain: the base form, optional selects that give None,
multi-checkboxes, page numbers.

Money fields live in app/core/money.py."""
import unicodedata
from functools import lru_cache

from babel import support
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def N_(message: str) -> str:
    """Marks a message for our catalog that code elsewhere asks for (Babel extracts `N_`)."""
    return message


# WTForms' messages that its Chinese catalog leaves in English (WTForms 3.2): ours translates them.
# Chinese has one form for any number, so the plural is a message of its own here.
WTFORMS_GAPS = frozenset({
    N_("'%(value)s' is not a valid choice for this field."),
    N_("'%(value)s' are not valid choices for this field."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Not a valid week value."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
})


class _WTFormsMessages:
    """WTForms' own messages ("Not a valid choice.") in the request's language. Flask-WTF reads
    and parses the catalog again in every request that writes one; this reads it once per language."""

    def gettext(self, string):
        if string in WTFORMS_GAPS:
            return gettext(string)
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ngettext(self, singular, plural, n):
        if singular in WTFORMS_GAPS:
            return gettext(singular if n == 1 else plural)
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


_MESSAGES = _WTFormsMessages()

# Characters that turn the text around them (bidi embeddings, overrides and isolates): a name
# with them can show as something else than it is, on the page and in the confirm that quotes it.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
NOT_ONE_LINE = _l("Use one line of plain text: no line breaks, control characters or text-direction marks.")
# The inputs of one line. A line break or another control character in one is nothing a person
# typed there (a browser sends none): a crafted request, which would break the line it is shown in
# (a contact's name, a serial number in a message).
ONE_LINE_INPUTS = frozenset({"text", "email", "tel", "search", "url"})


def is_plain_line(text: str) -> bool:
    """One line of visible text: no control characters (line breaks, tabs, NUL), no line or paragraph
    separators and no bidi controls."""
    return not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in BIDI_CONTROLS for char in text)


class GroveForm(FlaskForm):
    """Every form of Grove: Flask-WTF's (CSRF, the request's data), with WTForms' messages as above,
    and every one-line input refused, at its field, when it holds more than one line of plain text."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _MESSAGES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if (isinstance(field.widget, widgets.Input) and field.widget.input_type in ONE_LINE_INPUTS
                    and isinstance(field.data, str) and not is_plain_line(field.data)):
                field.errors = [*field.errors, NOT_ONE_LINE]
                valid = False
        return valid


class OptionalSelectField(SelectField):
    """A select whose first option is blank and whose blank value becomes None."""

    def __init__(self, *args, blank_label=_l("—"), coerce=str, **kwargs):
        self.blank_label = blank_label
        self._inner_coerce = coerce
        super().__init__(*args, coerce=self._coerce, validate_choice=False, **kwargs)

    def _coerce(self, value):
        if value in (None, "", "None"):
            return None
        return self._inner_coerce(value)

    def iter_choices(self):
        yield from [("", self.blank_label, self.data is None, {})]
        yield from super().iter_choices()

    def pre_validate(self, form):
        if self.data is not None and self.data not in {self._inner_coerce(v) for v, *_ in self.choices}:
            raise ValidationError(_l("Choose one of the options."))


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# The last page a list will look for: beyond it the OFFSET would overflow the database's integers.
MAX_PAGE = 100_000


def page_number() -> int:
    """The `?page=` of a list page: junk is page 1, and no number overflows the SQL OFFSET."""
    from flask import request
    page = request.args.get("page", 1, type=int)
    return min(page, MAX_PAGE)
