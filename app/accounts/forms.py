from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from app.accounts.models import ContactRole, Line, RevenueBand, Stage, Tier
from app.core.forms import GroveForm, MultiCheckboxField, OptionalSelectField

STRIP = [lambda value: value.strip() if isinstance(value, str) else value]


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters."))


PHONE = Regexp(r"^[0-9+()\- ]{5,40}$", message=_l("Enter a phone number of digits, spaces, +, - or brackets."))


class CompanyForm(GroveForm):
    name = StringField(_l("Company name"), filters=STRIP, validators=[
        DataRequired(_l("Enter the company's full name.")), at_most(200)])
    short_name = StringField(_l("Short name"), filters=STRIP, validators=[at_most(80)])
    region_id = SelectField(_l("Region"), coerce=int)
    # Choices depend on the region; validate_market_ids gives the message a person understands.
    market_ids = MultiCheckboxField(_l("Markets"), coerce=int, validate_choice=False)
    stage = SelectField(_l("Stage"), choices=Stage.choices, default=Stage.PROSPECT.value)
    tier = OptionalSelectField(_l("Tier"), choices=Tier.choices)
    owner_id = OptionalSelectField(_l("Owner"), coerce=int)
    city = StringField(_l("City"), filters=STRIP, validators=[at_most(80)])
    district = StringField(_l("District"), filters=STRIP, validators=[at_most(80)])
    address = StringField(_l("Address"), filters=STRIP, validators=[at_most(300)])
    employees = IntegerField(_l("Employees"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number of people, 0 or more."))])
    revenue_band = OptionalSelectField(_l("Revenue"), choices=RevenueBand.choices)
    products = TextAreaField(_l("Products"), filters=STRIP, validators=[at_most(5000)])
    equipment = TextAreaField(_l("Equipment on site"), filters=STRIP, validators=[at_most(5000)])
    competitor = StringField(_l("Incumbent competitor"), filters=STRIP, validators=[at_most(200)])
    background = TextAreaField(_l("Background"), filters=STRIP, validators=[at_most(20000)])

    def validate_tier(self, field):
        if self.stage.data == Stage.KEY_ACCOUNT.value and not field.data:
            raise ValidationError(_l("A key account needs a tier."))

    def validate_market_ids(self, field):
        allowed = {value for value, _label in field.choices}
        if set(field.data or []) - allowed:
            raise ValidationError(_l("Choose markets of the company's region."))


# A last contact before this is a typo (0001-01-01 had been saved and shown as "1年1月1日").
EARLIEST_CONTACT = date(2000, 1, 1)


class ContactForm(GroveForm):
    name = StringField(_l("Contact name"), filters=STRIP, validators=[
        DataRequired(_l("Enter the contact's name.")), at_most(80)])
    title = StringField(_l("Job title"), filters=STRIP, validators=[at_most(80)])
    department = StringField(_l("Department"), filters=STRIP, validators=[at_most(80)])
    phone = StringField(_l("Phone"), filters=STRIP, validators=[Optional(), PHONE])
    email = StringField(_l("E-mail"), filters=STRIP, validators=[
        Optional(), Email(_l("Enter a valid e-mail address.")), at_most(254)])
    wechat = StringField(_l("WeChat ID"), filters=STRIP, validators=[at_most(80)])
    roles = MultiCheckboxField(_l("Roles"), choices=ContactRole.choices)
    line = OptionalSelectField(_l("Our line"), choices=Line.choices)
    holder_id = OptionalSelectField(_l("Held by (our side)"), coerce=int)
    strength = OptionalSelectField(_l("Relationship strength"), coerce=int,
                                   choices=[(i, str(i)) for i in range(1, 6)])
    last_contact_on = DateField(_l("Last contact"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), filters=STRIP, validators=[at_most(5000)])

    today: date | None = None  # the company's region's, set by the route

    def validate_last_contact_on(self, field):
        if field.data and field.data > (self.today or date.today()):
            raise ValidationError(_l("The last contact cannot be in the future."))
        if field.data and field.data < EARLIEST_CONTACT:
            raise ValidationError(_l("Enter a day in 2000 or later."))
