from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.accounts.models import Line
from app.core.forms import GroveForm, OptionalSelectField
from app.keyaccounts.coverage.services import EARLIEST_TOUCH
from app.keyaccounts.models import TouchKind

STRIP = [lambda value: value.strip() if isinstance(value, str) else value]


class TouchForm(GroveForm):
    """A touch with one of the customer's people: how, which day (their region's today by default), a note."""

    kind = SelectField(_l("How"), choices=TouchKind.choices, default=TouchKind.CALL.value)
    touched_on = DateField(_l("Day"), validators=[InputRequired(_l("Enter the day of the touch."))])
    note = StringField(_l("Note"), filters=STRIP, validators=[
        Length(max=500, message=_l("Use at most %(max)d characters."))])

    # The region's today: the route sets it before validating (a touch cannot be in the future).
    today = None

    def validate_touched_on(self, field):
        if field.data is None:
            return
        if self.today is not None and field.data > self.today:
            raise ValidationError(_("A touch cannot be in the future: today is %(day)s.",
                                    day=format_date(self.today, "medium")))
        if field.data < EARLIEST_TOUCH:
            raise ValidationError(_l("Enter a day from 2000 on."))


class TieForm(GroveForm):
    """Give the tie with a customer's person to one of our lines and one of our people."""

    # DataRequired, not InputRequired: the blank option's values ("", "None") arrive as input and
    # become None, which InputRequired let through (a 500 found by the form fuzzer).
    line = OptionalSelectField(_l("Our line"), choices=Line.choices, validators=[
        DataRequired(_l("Choose one of our lines."))])
    # Choices: the active users of the company's region (set by the route).
    holder_id = OptionalSelectField(_l("Held by"), coerce=int, validators=[
        DataRequired(_l("Choose who on our side holds the tie."))])
