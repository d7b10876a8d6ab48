import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, Field, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import TextInput

from app.accounts.forms import STRIP, at_most
from app.core.forms import GroveForm, MultiCheckboxField
from app.core.money import MoneyField
from app.equipment.services import MAX_QUANTITY, install_date_problem, warranty_date_problem
from app.imports.forms import ENCODING_CHOICES

MAX_RATE = Decimal(10)
_RATE = re.compile(r"(?P<number>\d{1,3}(?:\.\d{1,6})?)\s*(?P<percent>%?)")


class RateField(Field):
    """An annual failure rate: `0.15` or `15%` (one machine in seven needs the part each year).

    `.data` is a Decimal of at most four places, from 0 to 10; NaN, infinities and exponents are
    refused at the field."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)
        self.parse_error = None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data.normalize(), "f")

    def process_formdata(self, valuelist):
        self.parse_error = None
        text = unicodedata.normalize("NFKC", valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        match = _RATE.fullmatch(text)
        try:
            value = Decimal(match["number"]) / (100 if match["percent"] else 1) if match else None
        except InvalidOperation:
            value = None
        if value is None or value > MAX_RATE or value != value.quantize(Decimal("0.0001")):
            self.data = None
            self.parse_error = _l("Enter failures a year per machine from 0 to 10, e.g. 0.15 or 15%.")
        else:
            self.data = value.quantize(Decimal("0.0001"))

    def pre_validate(self, form):
        if self.parse_error is not None:
            raise ValidationError(self.parse_error)


def quantity_field(label=_l("Quantity")):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter how many parts.")),
        NumberRange(min=1, max=MAX_QUANTITY, message=_l("Enter a whole number from 1 to %(max)s.", max=MAX_QUANTITY))])


def reference_field():
    return StringField(_l("Reference"), filters=STRIP, validators=[at_most(120)],
                       description=_l("A delivery note, an order or a service case number."))


class MachineForm(GroveForm):
    model_id = SelectField(_l("Machine model"), coerce=int, validate_choice=False,
                           validators=[InputRequired(_l("Choose the machine model."))])
    serial = StringField(_l("Serial number"), filters=STRIP, validators=[
        DataRequired(_l("Enter the machine's serial number.")), at_most(80)])
    site = StringField(_l("Site"), filters=STRIP, validators=[at_most(200)],
                       description=_l("Plant or workshop where it runs."))
    installed_on = DateField(_l("Installed on"), validators=[Optional()])
    warranty_until = DateField(_l("Warranty until"), validators=[Optional()])

    today: date | None = None  # the company's region's, set by the route

    def validate_installed_on(self, field):
        if self.today and (problem := install_date_problem(field.data, self.today)):
            raise ValidationError(problem)

    def validate_model_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of the machine models."))

    def validate_warranty_until(self, field):
        if problem := warranty_date_problem(field.data, self.installed_on.data):
            raise ValidationError(problem)


class MachineModelForm(GroveForm):
    name = StringField(_l("Model name"), filters=STRIP, validators=[
        DataRequired(_l("Enter the model's name, e.g. GX-500.")), at_most(120)])
    description = StringField(_l("Description"), filters=STRIP, validators=[at_most(300)])


class PartForm(GroveForm):
    number = StringField(_l("Part number"), filters=STRIP, validators=[
        DataRequired(_l("Enter the part number.")), at_most(60)])
    name = StringField(_l("Part name"), filters=STRIP, validators=[
        DataRequired(_l("Enter the part's name.")), at_most(200)])
    model_ids = MultiCheckboxField(_l("Used by the machine models"), coerce=int, validate_choice=False)
    failure_rate = RateField(_l("Annual failure rate"), validators=[
        InputRequired(_l("Enter failures a year per machine from 0 to 10, e.g. 0.15 or 15%."))],
        description=_l("Failures a year per installed machine: 0.15 (or 15%) is one machine in seven a year."))
    unit_cost = MoneyField(_l("Unit cost (CNY)"), blank=0)

    def validate_model_ids(self, field):
        if set(field.data or []) - {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose machine models of the catalogue."))


class ReceiveForm(GroveForm):
    quantity = quantity_field()
    reference = reference_field()


class IssueForm(GroveForm):
    quantity = quantity_field()
    reference = reference_field()


class TransferForm(GroveForm):
    to_region_id = SelectField(_l("To region"), coerce=int, validate_choice=False,
                               validators=[InputRequired(_l("Choose the region that gets the parts."))])
    quantity = quantity_field()
    reference = reference_field()

    def validate_to_region_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of your other regions."))


class CorrectionForm(GroveForm):
    quantity = IntegerField(_l("Change (+ or −)"), validators=[
        InputRequired(_l("Enter how many parts to add (e.g. 3) or take off (e.g. -2).")),
        NumberRange(min=-MAX_QUANTITY, max=MAX_QUANTITY,
                    message=_l("Enter a whole number from -%(max)s to %(max)s.", max=MAX_QUANTITY))],
        description=_l("What the count found minus what Grove shows."))
    reason = StringField(_l("Reason"), filters=STRIP, validators=[
        DataRequired(_l("Say why the count differs (e.g. counted 4 on the shelf, 2 damaged).")), at_most(300)])

    def validate_quantity(self, field):
        if field.data == 0:
            raise ValidationError(_l("Enter how many parts to add (e.g. 3) or take off (e.g. -2)."))


class PolicyForm(GroveForm):
    minimum = IntegerField(_l("Minimum"), validators=[
        InputRequired(_l("Enter the minimum to keep.")),
        NumberRange(min=0, max=MAX_QUANTITY, message=_l("Enter a whole number from 0 to %(max)s.", max=MAX_QUANTITY))])
    maximum = IntegerField(_l("Maximum"), validators=[
        Optional(),
        NumberRange(min=0, max=MAX_QUANTITY, message=_l("Enter a whole number from 0 to %(max)s.", max=MAX_QUANTITY))],
        description=_l("A reorder fills up to it; empty: up to the minimum."))
    lead_days = IntegerField(_l("Lead time (days)"), validators=[
        InputRequired(_l("Enter the days a reorder takes to arrive.")),
        NumberRange(min=0, max=365, message=_l("Enter 0 to 365 days."))])

    def validate_maximum(self, field):
        if field.data is not None and self.minimum.data is not None and field.data < self.minimum.data:
            raise ValidationError(_l("The maximum cannot be below the minimum."))


class AddStockForm(GroveForm):
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    part_number = StringField(_l("Part number"), filters=STRIP, validators=[
        DataRequired(_l("Enter the part number.")), at_most(60)])

    def validate_region_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of your regions."))


class ImportForm(GroveForm):
    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
    file = FileField(_l("Installed-base file (CSV or .xlsx)"),
                     validators=[FileRequired(_l("Choose a file to upload."))])
    encoding = SelectField(_l("Encoding of a CSV file"), choices=ENCODING_CHOICES, default="")

    def validate_region_id(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose one of your regions."))
