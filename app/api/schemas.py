"""What the API answers with (marshmallow schemas) and which filters each list takes.

The same schemas serialize the rows and describe them in the OpenAPI document, and the filter
schemas both validate a query string and document its parameters: one description of each.
Times are UTC in ISO 8601; money is integer cents (CNY).
"""
import re
import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.accounts.models import ContactRole, Line, OpportunityStage, RevenueBand, Stage, Tier
from app.core.inputs import MAX_ID
from app.equipment.routes import WARRANTY_FILTERS
from app.seminars.models import RegistrationStatus, SeminarStatus
from app.service.models import CaseStatus, Channel, Severity
from app.visits.models import MemberResponse, Purpose, VisitStatus

MAX_LIMIT = 100
DEFAULT_LIMIT = 25


class StrictInteger(fields.Integer):
    """A whole number written in ASCII digits only.

    Python's int(), under marshmallow's Integer, also takes full-width and Arabic-Indic digits,
    `1_0` (as 10) and surrounding spaces or line breaks: a filter takes none of those.
    """

    default_error_messages = {"invalid": "Give a whole number in the digits 0-9."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,18}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _no_control_characters(value: str) -> None:
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError("Remove the control characters (such as NUL or a line break).")


def _enum(enum_cls, **kw):
    return fields.Enum(enum_cls, by_value=True, **kw)


def _id(**kw):
    return StrictInteger(validate=validate.Range(min=1, max=MAX_ID), **kw)


def _text(**kw):
    return fields.String(validate=[validate.Length(max=100), _no_control_characters], **kw)


# ---- rows


class Ref(Schema):
    """Another record, by id and name."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CompanyRef(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class Company(Schema):
    id = fields.Integer(required=True)
    region_id = fields.Integer(required=True)
    name = fields.String(required=True)
    short_name = fields.String(required=True)
    city = fields.String(required=True)
    district = fields.String(required=True)
    address = fields.String(required=True)
    employees = fields.Integer(allow_none=True, required=True)
    revenue_band = _enum(RevenueBand, allow_none=True, required=True)
    products = fields.String(required=True)
    equipment = fields.String(required=True)
    competitor = fields.String(required=True)
    background = fields.String(required=True)
    stage = _enum(Stage, required=True)
    tier = _enum(Tier, allow_none=True, required=True)
    owner = fields.Nested(Ref, allow_none=True, required=True)
    markets = fields.List(fields.Nested(Ref), required=True)
    score = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class Contact(Schema):
    id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    name = fields.String(required=True)
    title = fields.String(required=True)
    department = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(required=True)
    wechat = fields.String(required=True)
    roles = fields.List(_enum(ContactRole), required=True)
    line = _enum(Line, allow_none=True, required=True)
    holder = fields.Nested(Ref, allow_none=True, required=True)
    strength = fields.Integer(allow_none=True, required=True)
    last_contact_on = fields.Date(allow_none=True, required=True)


class Seminar(Schema):
    id = fields.Integer(required=True)
    region_id = fields.Integer(required=True)
    market = fields.Nested(Ref, allow_none=True, required=True)
    association = fields.Nested(Ref, allow_none=True, required=True)
    title = fields.String(required=True)
    abstract = fields.String(required=True)
    venue = fields.String(required=True)
    address = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True)
    waitlist_enabled = fields.Boolean(required=True)
    signup_opens_at = fields.AwareDateTime(allow_none=True, required=True)
    signup_closes_at = fields.AwareDateTime(allow_none=True, required=True)
    status = _enum(SeminarStatus, required=True)
    seats_taken = fields.Integer(required=True, metadata={"description": "Confirmed and attended registrations."})
    waiting = fields.Integer(required=True, metadata={"description": "Registrations on the waiting list."})
    created_at = fields.AwareDateTime(required=True)


class Registration(Schema):
    id = fields.Integer(required=True)
    seminar_id = fields.Integer(required=True)
    name = fields.String(required=True)
    company_name = fields.String(required=True, metadata={"description": "The company as the attendee typed it."})
    title = fields.String(required=True)
    phone = fields.String(required=True)
    email = fields.String(allow_none=True, required=True)
    status = _enum(RegistrationStatus, required=True)
    waitlist_position = fields.Integer(allow_none=True, required=True)
    consent = fields.Boolean(required=True)
    checked_in_at = fields.AwareDateTime(allow_none=True, required=True)
    company_id = fields.Integer(allow_none=True, required=True, metadata={"description": "The matched company."})
    contact_id = fields.Integer(allow_none=True, required=True, metadata={"description": "The matched contact."})
    created_at = fields.AwareDateTime(required=True)


class TeamMember(Schema):
    user_id = fields.Integer(allow_none=True, required=True)
    expert_id = fields.Integer(allow_none=True, required=True)
    name = fields.String(required=True, metadata={"description": "The user's or the expert's name."})
    is_lead = fields.Boolean(required=True)
    response = _enum(MemberResponse, allow_none=True, required=True,
                     metadata={"description": "A head-office expert's answer; null when none was asked."})


class Visit(Schema):
    id = fields.Integer(required=True)
    region_id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    opportunity_id = fields.Integer(allow_none=True, required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    place = fields.String(required=True)
    purpose = _enum(Purpose, required=True)
    level = fields.Integer(required=True,
                           metadata={"description": "1 rep, 2 regional manager, 3 expert team, 4 executive."})
    status = _enum(VisitStatus, required=True)
    agenda = fields.String(required=True)
    outcome = fields.String(required=True)
    next_steps = fields.String(required=True)
    team = fields.List(fields.Nested(TeamMember), attribute="members", required=True)
    created_at = fields.AwareDateTime(required=True)


class Opportunity(Schema):
    id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    title = fields.String(required=True)
    value_cents = fields.Integer(required=True, metadata={"description": "Estimated value, CNY cents."})
    stage = _enum(OpportunityStage, required=True)
    expected_decision_on = fields.Date(allow_none=True, required=True)
    owner = fields.Nested(Ref, allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class Order(Schema):
    id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    opportunity_id = fields.Integer(allow_none=True, required=True)
    amount_cents = fields.Integer(required=True, metadata={"description": "CNY cents."})
    ordered_on = fields.Date(required=True)
    description = fields.String(required=True)
    notes = fields.String(required=True)


class Machine(Schema):
    """A machine installed at a customer's site."""

    id = fields.Integer(required=True)
    region_id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    model = fields.Nested(Ref, required=True)
    serial = fields.String(required=True)
    site = fields.String(required=True)
    installed_on = fields.Date(allow_none=True, required=True)
    warranty_until = fields.Date(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class ServiceCase(Schema):
    """A service request (case) and its clocks' state."""

    id = fields.Integer(required=True)
    region_id = fields.Integer(required=True)
    company = fields.Nested(CompanyRef, required=True)
    equipment_id = fields.Integer(allow_none=True, required=True, metadata={"description": "The machine concerned."})
    severity = _enum(Severity, required=True)
    channel = _enum(Channel, required=True)
    over_the_head = fields.Boolean(required=True)
    description = fields.String(required=True)
    status = _enum(CaseStatus, required=True)
    owner = fields.Nested(Ref, allow_none=True, required=True)
    sla_tier = _enum(Tier, required=True)
    received_at = fields.AwareDateTime(required=True)
    acknowledged_at = fields.AwareDateTime(allow_none=True, required=True)
    on_site_at = fields.AwareDateTime(allow_none=True, required=True)
    resolved_at = fields.AwareDateTime(allow_none=True, required=True)
    closed_at = fields.AwareDateTime(allow_none=True, required=True)
    next_due_at = fields.AwareDateTime(allow_none=True, required=True,
                                       metadata={"description": "When the most urgent running clock falls due."})
    reopen_count = fields.Integer(required=True)


class Error(Schema):
    error = fields.String(required=True, metadata={"description": "A short code: bad_request, unauthorized, ..."})
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                          metadata={"description": "For a bad filter: its messages, by parameter."})


# ---- filters


class Filters(Schema):
    """Every list: its page size and the cursor of the page to read (`next_cursor` of the one before)."""

    class Meta:
        unknown = RAISE

    limit = StrictInteger(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(min=1, max=500))


def _me_or_id(value: str) -> None:
    if value.isascii() and value.isdigit() and int(value) > MAX_ID:
        raise ValidationError("No user has this id.")


OWNER = fields.String(validate=[validate.Regexp(r"(me|[1-9][0-9]{0,9})\Z", error="Give a user id or 'me'."), _me_or_id],
                      metadata={"description": "A user id, or `me` for the token's owner."})


class CompanyFilters(Filters):
    q = _text(metadata={"description": "Search names, city, products, contacts' names and phones."})
    market = _id()
    stage = _enum(Stage)
    tier = _enum(Tier)
    owner = OWNER
    due = fields.Boolean(metadata={"description": "Only accounts whose care is overdue."})


class ContactFilters(Filters):
    company = _id()
    role = _enum(ContactRole)
    line = _enum(Line)


class SeminarFilters(Filters):
    q = _text(metadata={"description": "Search titles."})
    status = _enum(SeminarStatus)


class RegistrationFilters(Filters):
    q = _text(metadata={"description": "Search name, company, e-mail or phone (its digits however written)."})
    status = _enum(RegistrationStatus)


class VisitFilters(Filters):
    q = _text(metadata={"description": "Search the visited company's name."})
    user = _id(metadata={"description": "Visits with this user in the team."})
    expert = _id(metadata={"description": "Visits with this expert in the team."})
    market = _id()
    status = _enum(VisitStatus)
    level = StrictInteger(validate=validate.Range(min=1, max=4))
    upcoming = fields.Boolean(metadata={"description": "Only visits that have not ended."})

    @validates_schema
    def _one_person(self, data, **kwargs):
        if "user" in data and "expert" in data:
            raise ValidationError("Filter by a user or an expert, not both.", "expert")


class OpportunityFilters(Filters):
    company = _id()
    stage = _enum(OpportunityStage)
    owner = OWNER


class OrderFilters(Filters):
    company = _id()
    since = fields.Date(metadata={"description": "Orders on or after this day."})
    until = fields.Date(metadata={"description": "Orders on or before this day."})


class MachineFilters(Filters):
    q = _text(metadata={"description": "Search serials, sites and company names."})
    model = _id()
    company = _id()
    warranty = fields.String(validate=validate.OneOf(WARRANTY_FILTERS),
                             metadata={"description": "soon: ends within 90 days; expired; none."})


class ServiceCaseFilters(Filters):
    q = _text(metadata={"description": "Search the company's name."})
    owner = OWNER
    severity = _enum(Severity)
    status = fields.String(validate=validate.OneOf(["open", *(s.value for s in CaseStatus)]),
                           metadata={"description": "open (any not closed), or one status; all when not given."})
    company = _id()
