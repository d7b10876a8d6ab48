"""The admin area's forms: the audit log's filters (read from the query string, so no CSRF token), users
and regions."""
from functools import cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.auth.models import Role
from app.auth.rules import GroveEmail
from app.core.forms import GroveForm, MultiCheckboxField, OptionalSelectField


class AuditFilterForm(GroveForm):
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


class UserForm(GroveForm):
    """An account as an administrator sets it: who, their role, the regions they work in."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter the e-mail address.")), GroveEmail()])
    role = SelectField(_l("Role"), choices=Role.choices)
    region_ids = MultiCheckboxField(_l("Regions"), coerce=int,
                                    description=_l("An administrator works in every region."))

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region_ids.choices = [(r.id, r.display_name) for r in regions]

    def validate_region_ids(self, field):
        if self.role.data != Role.ADMIN.value and not field.data:
            raise ValidationError(_l("Choose at least one region."))


@cache
def _time_zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(available_timezones()) if "/" in zone and not zone.startswith("Etc/")]


class RegionForm(GroveForm):
    """A region's names in both languages and the time zone its records are shown in."""

    name = StringField(_l("Name in Latin letters"), validators=[
        DataRequired(_l("Enter the region's name in Latin letters, such as Wenzhou.")), Length(max=80)],
        description=_l("How the command line and imports name the region, and what the English pages show."))
    name_zh = StringField(_l("Chinese name"), validators=[Optional(), Length(max=80)],
                          description=_l("What the Chinese pages show, such as 温州."))
    timezone = SelectField(_l("Time zone"), validate_choice=True,
                           description=_l("Times of the region's visits, seminars and cases are entered and shown "
                                          "on this clock."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _time_zones()
        self.timezone.validators = [DataRequired(_l("Choose the region's time zone."))]
