"""Seminar forms: the public sign-up (with the seminar's own questions), staff forms."""
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from app.core.forms import GroveForm, OptionalSelectField
from app.core.time import LocalDateTimeField
from app.seminars import phones
from app.seminars.models import QuestionKind

PHONE_CHARS = set("0123456789+-() ")


def _phone(form, field):
    if field.data and (set(field.data) - PHONE_CHARS or sum(c.isdigit() for c in field.data) < 6):
        raise ValidationError(_l("Enter a phone number with digits only, e.g. 138 0000 0000."))


def _mobile(form, field):
    if field.data and phones.china_mobile(field.data) is None:
        raise ValidationError(_l("This is not a mainland China mobile number: 11 digits starting with 1, "
                                 "e.g. 138 0000 0000."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _mobile_digits(value):
    """A valid mobile number becomes its 11 digits; anything else stays for the validator to name."""
    return phones.china_mobile(value) or _strip(value)


class SignupForm(GroveForm):
    """The public sign-up. The mobile number is required and identifies the registration: people
    sign up inside WeChat, where a phone number is at hand and an e-mail address often is not."""

    # Labels of their own ("Your name", not "Name"): the catalog's shared "Name" may mean a company's.
    name = StringField(_l("Your name"), filters=[_strip], validators=[
        DataRequired(message=_l("Please enter your name, so that we know who is coming.")), Length(max=80)])
    phone = StringField(_l("Your mobile phone"), filters=[_mobile_digits], validators=[
        DataRequired(message=_l("Please enter your mobile number: we use it to confirm your registration.")),
        Length(max=40), _mobile])
    company = StringField(_l("Your company"), filters=[_strip], validators=[Optional(), Length(max=200)])
    title = StringField(_l("Your job title"), filters=[_strip], validators=[Optional(), Length(max=80)])
    email = EmailField(_l("Your e-mail (optional)"), filters=[_strip], validators=[
        Optional(), Email(message=_l("This e-mail address is not complete: check it (like name@example.com), "
                                     "or leave the field empty.")), Length(max=254)])
    consent = BooleanField(
        _l("I agree that the organiser keeps my details to run this seminar and contact me about it."),
        validators=[DataRequired(message=_l("Please agree so that we can register you."))])
    # The honeypot: hidden from people by CSS, filled in by form-filling bots.
    website = StringField(_l("Leave this empty"), validators=[Optional()])


def question_field_name(question) -> str:
    return f"q{question.id}"


def signup_form(questions, **kw) -> SignupForm:
    """The sign-up form with one extra field per seminar question."""
    return _signup_form_class(tuple(questions))(**kw)


@lru_cache(maxsize=256)
def _signup_form_class(questions: tuple) -> type[SignupForm]:
    """The form class of a set of questions, built once per set (a question is a frozen value:
    an edited label or choice is another set)."""

    class Form(SignupForm):
        pass

    for q in questions:
        validators = [InputRequired(message=_l("Please answer this question."))] if q.required else [Optional()]
        if q.kind is QuestionKind.TEXT:
            field = TextAreaField(q.label, validators=[*validators, Length(max=1000)])
        elif q.kind is QuestionKind.CHOICE:
            field = RadioField(q.label, choices=[(c, c) for c in q.choice_list], validators=validators,
                               validate_choice=True)
        else:
            field = RadioField(q.label, choices=[("yes", _l("Yes")), ("no", _l("No"))], validators=validators)
        setattr(Form, question_field_name(q), field)
    return Form


def answers_from(form, questions) -> dict:
    answers = {}
    for q in questions:
        value = form[question_field_name(q)].data
        if value not in (None, "", "None"):
            answers[str(q.id)] = {"label": q.label, "answer": value}
    return answers


class RegistrationForm(GroveForm):
    """Staff add or edit a registration; e-mail is optional for walk-ins."""

    name = StringField(_l("Attendee name"), validators=[DataRequired(), Length(max=80)])
    company = StringField(_l("Attendee company"), validators=[Optional(), Length(max=200)])
    title = StringField(_l("Attendee job title"), validators=[Optional(), Length(max=80)])
    phone = StringField(_l("Attendee phone"), filters=[_mobile_digits], validators=[Optional(), Length(max=40), _phone])
    email = EmailField(_l("Attendee e-mail"), filters=[_strip], validators=[
        Optional(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])


class OfRegionField(OptionalSelectField):
    """A market or host association: its choices are the chosen region's, and one of another
    region (an old page, a changed region, a tampered form) is refused with `refusal`."""

    def __init__(self, *args, refusal, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def pre_validate(self, form):
        if self.data is not None and self.data not in {value for value, *_ in self.choices}:
            raise ValidationError(self.refusal)


class SeminarForm(GroveForm):
    region_id = SelectField(_l("Region"), coerce=int)
    market_id = OfRegionField(_l("Market"), coerce=int, refusal=_l(
        "This market is not one of the chosen region: choose one from the list."))
    association_id = OfRegionField(_l("Host association"), coerce=int, refusal=_l(
        "This association is not one of the chosen region: choose one from the list."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    abstract = TextAreaField(_l("Abstract"), validators=[Optional(), Length(max=5000)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity"), validators=[InputRequired(), NumberRange(min=1, max=10000)])
    waitlist_enabled = BooleanField(_l("Keep a waiting list when full"), default=True)
    signup_opens_at = LocalDateTimeField(_l("Sign-up opens"), validators=[Optional()])
    signup_closes_at = LocalDateTimeField(_l("Sign-up closes"), validators=[Optional()])

    TIMES = ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")

    def in_zone(self, zone) -> None:
        """Read and show the times in the seminar region's zone."""
        for name in self.TIMES:
            self[name].in_zone(zone)

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_signup_closes_at(self, field):
        if self.signup_opens_at.data and field.data and field.data <= self.signup_opens_at.data:
            raise ValidationError(_l("Sign-up must close after it opens."))


class SpeakerForm(GroveForm):
    expert_id = SelectField(_l("Expert"), coerce=int, validators=[InputRequired()])
    talk_title = StringField(_l("Talk title"), validators=[Optional(), Length(max=200)])


class QuestionForm(GroveForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Answer type"))
    choices = TextAreaField(_l("Choices, one per line"), validators=[Optional(), Length(max=2000)])
    required = BooleanField(_l("Required"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = QuestionKind.choices()

    def validate_choices(self, field):
        choices = [c for c in (field.data or "").splitlines() if c.strip()]
        if self.kind.data == QuestionKind.CHOICE.value and len(choices) < 2:
            raise ValidationError(_l("Give at least two choices, one per line."))
