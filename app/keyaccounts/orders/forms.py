"""Forms for orders, winning an opportunity, and a manager's key-account decisions."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.accounts.models import Tier
from app.core.forms import GroveForm, OptionalSelectField
from app.core.money import MoneyField

MAX_ORDER_CENTS = 100_000_000_000_000

STRIP = [lambda value: value.strip() if isinstance(value, str) else value]
# Orders before this are typing mistakes, not history anyone records in Grove.
EARLIEST_ORDER = date(2000, 1, 1)


def at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters."))


class OrderForm(GroveForm):
    """An order: the route sets `today` (the region's) and the opportunity choices (the company's)."""

    # At most 1,000,000,000,000 CNY: a region's yearly and per-market sums stay far inside BIGINT.
    amount = MoneyField(_l("Amount (CNY)"), maximum=MAX_ORDER_CENTS, above_zero=_l("Enter an amount above 0."),
                        validators=[InputRequired(_l("Enter the order's amount in CNY."))])
    ordered_on = DateField(_l("Ordered on"), validators=[InputRequired(_l("Enter the day of the order."))])
    opportunity_id = OptionalSelectField(_l("Purchase opportunity"), coerce=int, blank_label=_l("— none —"))
    description = StringField(_l("Products / lines"), filters=STRIP, validators=[at_most(300)])
    # The company page also holds the contact form, whose notes are #notes: labels find inputs by id.
    notes = TextAreaField(_l("Notes"), id="order-notes", filters=STRIP, validators=[at_most(5000)])

    today: date | None = None

    def validate_ordered_on(self, field):
        if field.data is None:
            return
        if self.today is not None and field.data > self.today:
            raise ValidationError(_l("An order cannot be dated after today."))
        if field.data < EARLIEST_ORDER:
            raise ValidationError(_l("Enter a day in 2000 or later."))


class WinForm(OrderForm):
    """Mark an opportunity won: the order that wins it, in the same step."""

    opportunity_id = None


class ConfirmForm(GroveForm):
    """A manager confirms a proposal, keeping or changing its tier."""

    tier = SelectField(_l("Tier"), choices=Tier.choices, validators=[InputRequired(_l("Choose a tier."))])
    note = StringField(_l("Note"), filters=STRIP, validators=[at_most(300)])


class DeclineForm(GroveForm):
    note = StringField(_l("Note"), filters=STRIP, validators=[at_most(300)])


class TierForm(GroveForm):
    """A manager changes a key account's tier and says why."""

    tier = SelectField(_l("Tier"), choices=Tier.choices, validators=[InputRequired(_l("Choose a tier."))])
    reason = StringField(_l("Reason"), filters=STRIP, validators=[
        DataRequired(_l("Say why the tier changes.")), at_most(300)])
