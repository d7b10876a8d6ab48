from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.forms import GroveForm, OptionalSelectField
from app.core.money import MoneyField
from app.experts.models import Organisation


class ExpertForm(GroveForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the expert's name.")), Length(max=80)])
    user_id = OptionalSelectField(_l("Grove user"), coerce=int, blank_label=_l("— outside person, no login —"))
    organisation = SelectField(_l("Organisation"), choices=Organisation.choices, default=Organisation.RND.value)
    region_id = OptionalSelectField(_l("Region"), coerce=int, blank_label=_l("Head office (serves every region)"))
    title = StringField(_l("Title"), validators=[Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(_l("Enter a valid e-mail address.")),
                                                 Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    day_rate = MoneyField(_l("Day rate (CNY)"))
    max_visits_per_week = IntegerField(_l("Visits per week at most"), default=3, validators=[
        InputRequired(_l("Enter how many visits a week the expert can take (0 = no limit).")),
        NumberRange(min=0, max=50, message=_l("Enter 0 to 50."))])
    expertise = TextAreaField(_l("Expertise"), validators=[Length(max=3000)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def validate_day_rate(self, field):
        if field.data is None and self.organisation.data == Organisation.OUTSIDE.value:
            raise ValidationError(_l("An outside expert needs a day rate."))


class UnavailableForm(GroveForm):
    starts_on = DateField(_l("Unavailable from"), validators=[InputRequired(_l("Enter the first day."))])
    ends_on = DateField(_l("Unavailable until"), validators=[InputRequired(_l("Enter the last day."))])
    reason = StringField(_l("Reason"), validators=[Length(max=200)])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first."))
