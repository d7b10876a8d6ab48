from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from app.core.forms import GroveForm
from app.core.money import MoneyField

# Ten years: a longer gap is no cadence at all (leave a line blank for that).
MAX_GAP_DAYS = 3650
DAYS = NumberRange(min=1, max=MAX_GAP_DAYS, message=_l("Enter a number of days from 1 to 3,650."))


def _visit_gap():
    return IntegerField(_l("Between visits"), validators=[
        InputRequired(_l("Enter the longest gap between visits in days.")), DAYS], render_kw={"inputmode": "numeric"})


def _line_gap(label):
    return IntegerField(label, validators=[Optional(), DAYS], render_kw={"inputmode": "numeric"})


class RulesForm(GroveForm):
    """A region's key-account rules. Per tier (a, b, c): the longest gap between visits, and per
    line the longest gap between touches with the node people on it (blank: no rule)."""

    a_visit_days = _visit_gap()
    a_business_days = _line_gap(_l("Business line"))
    a_technical_days = _line_gap(_l("Technical line"))
    a_management_days = _line_gap(_l("Management line"))
    b_visit_days = _visit_gap()
    b_business_days = _line_gap(_l("Business line"))
    b_technical_days = _line_gap(_l("Technical line"))
    b_management_days = _line_gap(_l("Management line"))
    c_visit_days = _visit_gap()
    c_business_days = _line_gap(_l("Business line"))
    c_technical_days = _line_gap(_l("Technical line"))
    c_management_days = _line_gap(_l("Management line"))
    target_gap_days = IntegerField(_l("Targets: longest gap between visits (days)"), validators=[
        InputRequired(_l("Enter the longest gap between visits to a target in days.")), DAYS],
        render_kw={"inputmode": "numeric"})
    key_account_value = MoneyField(_l("Key account from (CNY a year)"), validators=[
        InputRequired(_l("Enter the yearly order value that makes a key account."))])
    tier_b_value = MoneyField(_l("Tier B from (CNY a year)"), validators=[
        InputRequired(_l("Enter the yearly order value of tier B."))])
    tier_a_value = MoneyField(_l("Tier A from (CNY a year)"), validators=[
        InputRequired(_l("Enter the yearly order value of tier A."))])

    def validate_tier_b_value(self, field):
        if field.data is not None and self.key_account_value.data is not None \
                and field.data < self.key_account_value.data:
            raise ValidationError(_l("Tier B cannot start below the key-account threshold."))

    def validate_tier_a_value(self, field):
        if field.data is not None and self.tier_b_value.data is not None and field.data < self.tier_b_value.data:
            raise ValidationError(_l("Tier A cannot start below tier B."))
