"""The audit log's filter form: read from the query string, so no CSRF token."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField
from wtforms.validators import Length, Optional, ValidationError

from app.core.forms import OptionalSelectField


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    user = OptionalSelectField(_l("Who"), coerce=int, blank_label=_l("Anyone"))
    table = OptionalSelectField(_l("Record type"), blank_label=_l("All records"))
    action = OptionalSelectField(_l("Action"), blank_label=_l("Any action"))
    region = OptionalSelectField(_l("Region"), coerce=int, blank_label=_l("All regions"))
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
