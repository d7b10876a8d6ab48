from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from app.associations.models import MembershipStatus
from app.core.forms import GroveForm, OptionalSelectField
from app.core.money import MoneyField


class AssociationForm(GroveForm):
    name = StringField(_l("Association name"), validators=[
        InputRequired(_l("Enter the association's name.")), Length(max=200)])
    region_id = SelectField(_l("Region"), coerce=int)
    market_ids = SelectMultipleField(_l("Markets it covers"), coerce=int)
    contact_name = StringField(_l("Contact (secretary)"), validators=[Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    website = StringField(_l("Website"), validators=[
        Optional(), URL(message=_l("Enter a web address starting with http:// or https://.")), Length(max=300)])
    member_count = IntegerField(_l("Member companies"), validators=[
        Optional(), NumberRange(min=0, max=1_000_000, message=_l("Enter a number of companies, 0 or more."))])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def validate_market_ids(self, field):
        if set(field.data or []) - {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose markets of the association's region."))


class MembershipForm(GroveForm):
    status = SelectField(_l("Status"), choices=MembershipStatus.choices, default=MembershipStatus.PROSPECT.value)
    joined_on = DateField(_l("Joined on"), validators=[Optional()])
    expires_on = DateField(_l("Expires on"), validators=[Optional()])
    fee = MoneyField(_l("Yearly fee (CNY)"), blank=0)
    level = StringField(_l("Level"), validators=[Length(max=80)])
    representative_id = OptionalSelectField(_l("Our representative"), coerce=int)
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])

    def validate_expires_on(self, field):
        if field.data and self.joined_on.data and field.data < self.joined_on.data:
            raise ValidationError(_l("The term cannot end before it starts."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends a field's chain when it is empty, so the rule that needs both dates lives here.
        if self.status.data == MembershipStatus.ACTIVE.value:
            if not self.joined_on.data and not self.joined_on.errors:
                self.joined_on.errors = [*self.joined_on.errors, _l("An active membership needs the date we joined.")]
                valid = False
            if not self.expires_on.data and not self.expires_on.errors:
                self.expires_on.errors = [*self.expires_on.errors, _l("An active membership needs an expiry date.")]
                valid = False
        return valid

    @property
    def term_data(self) -> dict:
        return {"status": self.status.data, "joined_on": self.joined_on.data, "expires_on": self.expires_on.data,
                "fee_cents": self.fee.data, "level": self.level.data or "",
                "representative_id": self.representative_id.data, "notes": self.notes.data or ""}


class RenewForm(GroveForm):
    joined_on = DateField(_l("New term starts"), validators=[Optional()])
    expires_on = DateField(_l("New term ends"), validators=[InputRequired(_l("Enter the date the new term ends."))])
    fee = MoneyField(_l("Yearly fee (CNY)"), blank=0)
    level = StringField(_l("Level"), validators=[Length(max=80)])

    def validate_expires_on(self, field):
        if field.data and self.joined_on.data and field.data < self.joined_on.data:
            raise ValidationError(_l("The term cannot end before it starts."))


class TermStatusForm(GroveForm):
    status = SelectField(_l("Status"), choices=MembershipStatus.choices)
