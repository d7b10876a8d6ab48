from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from app.core.forms import GroveForm, OptionalSelectField
from app.markets.models import MarketStatus

WEIGHT = [NumberRange(min=-10, max=10, message=_l("Enter a weight from -10 to 10."))]


class MarketForm(GroveForm):
    name = StringField(_l("Market name"), validators=[InputRequired(_l("Enter the market's name.")), Length(max=120)])
    region_id = SelectField(_l("Region"), coerce=int)
    status = SelectField(_l("Status"), choices=MarketStatus.choices, default=MarketStatus.UNTOUCHED.value)
    goal = IntegerField(_l("Goal (key accounts)"), default=6, validators=[
        InputRequired(_l("Enter how many key accounts the team aims for.")),
        NumberRange(min=0, max=1000, message=_l("Enter a number from 0 to 1000."))])
    owner_id = OptionalSelectField(_l("Owner"), coerce=int)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])


class StatusForm(GroveForm):
    status = SelectField(_l("Status"), choices=MarketStatus.choices)


class WeightsForm(GroveForm):
    size = IntegerField(_l("Size"), validators=WEIGHT)
    fit = IntegerField(_l("Product fit"), validators=WEIGHT)
    equipment = IntegerField(_l("Equipment on site"), validators=WEIGHT)
    relationship = IntegerField(_l("Existing relationship"), validators=WEIGHT)
    competitor = IntegerField(_l("Incumbent competitor"), validators=WEIGHT)
    fit_keywords = StringField(_l("Fit keywords"), validators=[Length(max=500)])


class PromoteForm(GroveForm):
    owner_id = SelectField(_l("Owner"), coerce=int)
