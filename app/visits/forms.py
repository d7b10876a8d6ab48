from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts.models import OpportunityStage
from app.core.forms import GroveForm, MultiCheckboxField, OptionalSelectField
from app.core.money import MoneyField
from app.core.time import LocalDateTimeField
from app.visits.models import Purpose, Visit

LEVEL_CHOICES = [(1, _l("1 · Sales rep")), (2, _l("2 · Regional manager")),
                 (3, _l("3 · Expert / head-office team")), (4, _l("4 · Executive"))]
LEVEL_LABELS = dict(LEVEL_CHOICES)


def level_labels() -> dict[int, str]:
    """The levels' names in the reader's language, translated once for a page of many rows."""
    return {level: str(label) for level, label in LEVEL_CHOICES}


class CompanyField(OptionalSelectField):
    """The company to visit: blank until the person picks one (the first company of a list is nobody's
    choice), except where the company is given (a visit being edited, a service case's visit)."""

    offer_blank = True

    def iter_choices(self):
        choices = super().iter_choices()
        if not self.offer_blank:
            next(choices)  # the blank option
        yield from choices


class VisitForm(GroveForm):
    company_id = CompanyField(_l("Company"), coerce=int, blank_label=_l("Choose a company…"),
                              validators=[InputRequired(_l("Choose the company to visit."))])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[InputRequired(_l("Enter when the visit starts."))])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[InputRequired(_l("Enter when the visit ends."))])
    place = StringField(_l("Place"), validators=[Length(max=300)])
    purpose = SelectField(_l("Purpose"), choices=Purpose.choices, default=Purpose.INTRODUCTION.value)
    level = SelectField(_l("Level"), coerce=int, choices=LEVEL_CHOICES, default=1)
    user_ids = MultiCheckboxField(_l("Our people"), coerce=int)
    expert_ids = MultiCheckboxField(_l("Experts"), coerce=int)
    lead = OptionalSelectField(_l("Lead"))
    opportunity_id = OptionalSelectField(_l("Purchase opportunity"), coerce=int)
    agenda = TextAreaField(_l("Agenda"), validators=[Length(max=5000)])
    escalation_id = HiddenField()

    zone = None

    def in_zone(self, zone) -> None:
        """Read and show the times in the company region's zone."""
        self.zone = zone
        self.starts_at.in_zone(zone)
        self.ends_at.in_zone(zone)

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data:
            if field.data <= self.starts_at.data:
                raise ValidationError(_l("The visit must end after it starts."))
            if field.data - self.starts_at.data >= Visit.LONGEST:
                raise ValidationError(_l("A visit lasts at most two weeks."))

    def validate_expert_ids(self, field):
        if not (self.user_ids.data or field.data):
            raise ValidationError(_l("Put at least one person on the team."))


class ReportForm(GroveForm):
    outcome = TextAreaField(_l("Outcome"), validators=[
        InputRequired(_l("Write what came of the visit.")), Length(max=10000)])
    contact_ids = MultiCheckboxField(_l("Contacts met"), coerce=int)
    next_steps = TextAreaField(_l("Next steps"), validators=[Length(max=5000)])


class OpportunityForm(GroveForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(_l("Name the opportunity, e.g. what they plan to buy.")), Length(max=200)])
    value = MoneyField(_l("Estimated value (CNY)"), validators=[
        InputRequired(_l("Enter the estimated value in CNY."))])
    stage = SelectField(_l("Stage"), choices=OpportunityStage.choices, default=OpportunityStage.SPOTTED.value)
    expected_decision_on = DateField(_l("Expected decision"), validators=[Optional()])
    owner_id = OptionalSelectField(_l("Owner"), coerce=int)


class DecisionForm(GroveForm):
    note = StringField(_l("Note"), validators=[Length(max=500)])


class SettingsForm(GroveForm):
    travel_buffer_minutes = IntegerField(_l("Travel buffer (minutes)"), validators=[
        InputRequired(_l("Enter the minutes people need between two bookings.")),
        NumberRange(min=0, max=600, message=_l("Enter 0 to 600 minutes."))])
    day_starts = TimeField(_l("Working day starts"), validators=[InputRequired(_l("Enter a time."))])
    day_ends = TimeField(_l("Working day ends"), validators=[InputRequired(_l("Enter a time."))])
    work_weekends = BooleanField(_l("Weekends are working days"))
    escalation_threshold = MoneyField(_l("Escalate opportunities worth more than (CNY)"), validators=[
        InputRequired(_l("Enter an amount in CNY."))])

    def validate_day_ends(self, field):
        if self.day_starts.data and field.data and field.data <= self.day_starts.data:
            raise ValidationError(_l("The working day must end after it starts."))
