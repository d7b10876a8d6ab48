"""Forms of the account plan: a new plan's year, the team and allotment, objectives, care spends,
plants and workshops, product lines and the cells of the whitespace grid."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.core.forms import GroveForm, OptionalSelectField
from app.core.money import MoneyField
from app.keyaccounts.models import CellStatus, Measure, SpendCategory
from app.keyaccounts.plans.services import MONEY_MEASURES

STRIP = [lambda value: value.strip() if isinstance(value, str) else value]
# A count objective up to a million (visits, orders, touches); money up to a trillion CNY.
MAX_COUNT = 1_000_000
MAX_MONEY = 100_000_000_000_000


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters."))


class NewPlanForm(GroveForm):
    year = IntegerField(_l("Year"), validators=[
        InputRequired(_l("Enter the year of the plan.")),
        NumberRange(min=2000, max=2100, message=_l("Enter a year from 2000 to 2100."))])


class PlanForm(GroveForm):
    owner_id = OptionalSelectField(_l("Account owner"), coerce=int)
    technical_lead_id = OptionalSelectField(_l("Technical lead"), coerce=int)
    sponsor_id = OptionalSelectField(_l("Management sponsor"), coerce=int)
    visit_days = IntegerField(_l("Visit days a year"), validators=[
        InputRequired(_l("Enter the visit days allotted for the year.")),
        NumberRange(min=0, max=366, message=_l("Enter 0 to 366 days."))])
    care_budget = MoneyField(_l("Care budget (CNY)"), maximum=MAX_MONEY, validators=[
        InputRequired(_l("Enter the care budget in CNY (0 for none)."))])
    parts_reserve = MoneyField(_l("Spare-parts reserve (CNY)"), maximum=MAX_MONEY, validators=[
        InputRequired(_l("Enter the spare-parts reserve in CNY (0 for none)."))])
    notes = TextAreaField(_l("Notes"), filters=STRIP, validators=[at_most(20000)])


class ObjectiveForm(GroveForm):
    title = StringField(_l("Objective"), filters=STRIP, validators=[at_most(200)])
    measure = SelectField(_l("Measured by"), choices=Measure.choices, default=Measure.ORDER_VALUE.value)
    target = MoneyField(_l("Target value"), maximum=MAX_MONEY, above_zero=_l("Enter a target above 0."),
                        validators=[InputRequired(_l("Enter the target."))])

    def validate_target(self, field):
        if field.data is None or self.measure.data in {m.value for m in MONEY_MEASURES}:
            return
        if field.data % 100:
            raise ValidationError(_l("Enter a whole number: this measure counts."))
        if field.data // 100 > MAX_COUNT:
            raise ValidationError(_l("Enter a smaller number."))

    @property
    def target_value(self) -> int:
        """The target in the measure's unit: cents for money, a count otherwise."""
        money = self.measure.data in {m.value for m in MONEY_MEASURES}
        return self.target.data if money else self.target.data // 100


class SpendForm(GroveForm):
    spent_on = DateField(_l("Date"), validators=[InputRequired(_l("Enter the date of the spend."))])
    category = SelectField(_l("Category"), choices=SpendCategory.choices, default=SpendCategory.TRAVEL.value)
    amount = MoneyField(_l("Amount (CNY)"), maximum=MAX_MONEY, above_zero=_l("Enter an amount above 0."), validators=[
        InputRequired(_l("Enter the amount in CNY."))])
    what = StringField(_l("What for"), filters=STRIP, validators=[at_most(200)])

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def validate_spent_on(self, field):
        if field.data and field.data.year != self.year:
            raise ValidationError(_l("Enter a date in %(year)s, the year of the plan.", year=self.year))


class CentreForm(GroveForm):
    name = StringField(_l("Plant or workshop"), filters=STRIP, validators=[
        DataRequired(_l("Name the plant or workshop.")), at_most(120)])


class ProductLineForm(GroveForm):
    name = StringField(_l("Product line"), filters=STRIP, validators=[
        DataRequired(_l("Name the product line.")), at_most(80)])


class CellForm(GroveForm):
    status = SelectField(_l("Status"), choices=CellStatus.choices)
