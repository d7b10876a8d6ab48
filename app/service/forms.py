from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts.models import Tier
from app.core import time as grove_time
from app.core.forms import GroveForm, MultiCheckboxField, OptionalSelectField
from app.core.time import LocalDateTimeField
from app.service.models import CASE_LIFECYCLE, Channel, ClockKind, DayKind, Severity

# How far back a case may say the customer reached us (a call taken on the road, entered later).
RECEIVED_WITHIN = timedelta(days=30)
MAX_HOURS = 5000


def _stripped(text):
    return text.strip() if isinstance(text, str) else text


class CaseForm(GroveForm):
    company_id = SelectField(_l("Company"), coerce=int, validate_choice=False,
                             validators=[InputRequired(_l("Choose the company."))])
    equipment_id = OptionalSelectField(_l("Machine"), coerce=int)
    severity = SelectField(_l("Severity"), choices=Severity.choices, default=Severity.NORMAL.value)
    channel = SelectField(_l("Channel"), choices=Channel.choices, default=Channel.PHONE.value)
    over_the_head = BooleanField(_l("It reached us over the owner's head (越级)"))
    description = TextAreaField(_l("What is wrong"), filters=[_stripped], validators=[
        DataRequired(_l("Describe the complaint or request.")), Length(max=5000)])
    owner_id = OptionalSelectField(_l("Owner"), coerce=int)
    received_at = LocalDateTimeField(_l("Came in"), validators=[Optional()])

    def in_zone(self, zone) -> None:
        self.received_at.in_zone(zone)

    def validate_received_at(self, field):
        if field.data is None:
            return
        now = grove_time.now_utc()
        if field.data > now + timedelta(minutes=5):
            raise ValidationError(_l("A case cannot have come in later than now."))
        if field.data < now - RECEIVED_WITHIN:
            raise ValidationError(_l("Enter a time within the last 30 days."))


class ActionForm(GroveForm):
    action = SelectField(_l("Action"), choices=[(a, a) for a in CASE_LIFECYCLE.actions],
                         validators=[InputRequired(_l("Choose one of the actions."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class NoteForm(GroveForm):
    note = TextAreaField(_l("Note"), filters=[_stripped],
                         validators=[DataRequired(_l("Write the note.")), Length(max=5000)])


class PartForm(GroveForm):
    part_id = SelectField(_l("Part"), coerce=int, validate_choice=False,
                          validators=[InputRequired(_l("Choose a part of the catalogue."))])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[
        InputRequired(_l("Enter how many parts.")),
        NumberRange(min=1, max=1000, message=_l("Enter 1 to 1,000 parts."))])


class VisitLinkForm(GroveForm):
    visit_id = SelectField(_l("Visit"), coerce=int, validate_choice=False,
                           validators=[InputRequired(_l("Choose a visit."))])


def _hours_field(label):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter whole business hours.")),
        NumberRange(min=1, max=MAX_HOURS, message=_l("Enter 1 to %(max)s hours.", max=f"{MAX_HOURS:,}"))])


class PolicyForm(GroveForm):
    """A region's SLA policies: one field per tier, severity and clock (`A_critical_response`)."""

    @staticmethod
    def name(tier: Tier, severity: Severity, kind: ClockKind) -> str:
        return f"{tier.value}_{severity.value}_{kind.value}"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for tier in Tier:
            for severity in Severity:
                resolution = self[self.name(tier, severity, ClockKind.RESOLUTION)]
                for kind in (ClockKind.RESPONSE, ClockKind.ON_SITE):
                    field = self[self.name(tier, severity, kind)]
                    if field.data and resolution.data and not field.errors and field.data > resolution.data:
                        field.errors.append(_l("More than the time to resolve (%(hours)s h).", hours=resolution.data))
                        valid = False
        return valid


CLOCK_FIELD_LABELS = {ClockKind.RESPONSE: _l("First response (business hours)"),
                      ClockKind.ON_SITE: _l("On site (business hours)"),
                      ClockKind.RESOLUTION: _l("Resolution (business hours)")}
for _tier in Tier:
    for _severity in Severity:
        for _kind in ClockKind:
            setattr(PolicyForm, PolicyForm.name(_tier, _severity, _kind), _hours_field(CLOCK_FIELD_LABELS[_kind]))
del _tier, _severity, _kind


class HoursForm(GroveForm):
    day_starts = TimeField(_l("Working day starts"), validators=[InputRequired(_l("Enter a time."))])
    day_ends = TimeField(_l("Working day ends"), validators=[InputRequired(_l("Enter a time."))])
    weekdays = MultiCheckboxField(_l("Working weekdays"), coerce=int)

    def validate_day_ends(self, field):
        if self.day_starts.data and field.data and field.data <= self.day_starts.data:
            raise ValidationError(_l("The working day must end after it starts."))
        if self.day_starts.data and field.data and (field.data.hour * 60 + field.data.minute) - (
                self.day_starts.data.hour * 60 + self.day_starts.data.minute) < 60:
            raise ValidationError(_l("A working day lasts at least an hour."))

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one working weekday."))


class DayForm(GroveForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter a date."))])
    kind = SelectField(_l("Kind"), choices=DayKind.choices, default=DayKind.HOLIDAY.value)
    name = StringField(_l("Name"), validators=[Length(max=80)])

    def validate_day(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Enter a date between 2000 and 2100."))


class RemoveDayForm(GroveForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Enter a date."))])
