"""What an account's e-mail address and password must be: one set of rules for the forms and the CLI."""
from functools import cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

MIN_PASSWORD_LENGTH = 12
# Longer passphrases gain nothing and only cost hashing time.
MAX_PASSWORD_LENGTH = 200


class RuleBroken(ValueError):
    """An address or password Grove refuses; str() is the message for the person."""


def normalize_email(address: str) -> str:
    """The address as Grove stores and looks it up, or RuleBroken.

    The same check as the sign-in form's (email-validator, no DNS look-up), so every address
    an account can have is one the sign-in form accepts.
    """
    address = (address or "").strip()
    if not address:
        raise RuleBroken(_l("Enter your e-mail address."))
    if len(address) > 254:
        raise RuleBroken(_l("An e-mail address has at most 254 characters."))
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise RuleBroken(_l("Enter a valid e-mail address.")) from None


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (app/auth/common_passwords.txt), lower case."""
    lines = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, email: str | None = None) -> None:
    """Raise RuleBroken unless the password is long enough and not a common one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise RuleBroken(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise RuleBroken(_l("The password can have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        raise RuleBroken(_l("This password is one of the most common ones. Choose another."))
    if email and lowered in {email.lower(), email.lower().split("@")[0]}:
        raise RuleBroken(_l("The password must not be your e-mail address."))


class GroveEmail:
    """WTForms validator: normalize_email, with its message at the field; the field keeps the stored form."""

    def __call__(self, form, field):
        try:
            field.data = normalize_email(field.data)
        except RuleBroken as broken:
            raise ValidationError(str(broken)) from None


class StrongPassword:
    """WTForms validator: check_password against the form's e-mail field when it has one."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = form[self.email_field].data if self.email_field else getattr(form, "account_email", None)
        try:
            check_password(field.data or "", email=email)
        except RuleBroken as broken:
            raise ValidationError(str(broken)) from None
