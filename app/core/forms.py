"""Form pieces shared by every domain: optional selects that give None, multi-checkboxes, page numbers.

Money fields live in app/core/money.py."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, widgets
from wtforms.validators import ValidationError


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
