from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.auth.rules import MAX_PASSWORD_LENGTH, GroveEmail, StrongPassword
from app.core.forms import GroveForm


class LoginForm(GroveForm):
    # The very check `create-user` and the invitation apply, so every account can sign in.
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), GroveEmail()])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("Keep me signed in"))


class ForgotPasswordForm(GroveForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), GroveEmail()])


class NewPasswordForm(GroveForm):
    """Choose a password: after an invitation or a reset link. `account_email` is the account's."""

    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Enter a new password.")),
                                                             StrongPassword()],
                             description=_l("At least 12 characters; not one of the common passwords."))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")),
        EqualTo("password", _l("The two passwords differ."))])

    def __init__(self, *args, account_email: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password.")),
                                                                Length(max=MAX_PASSWORD_LENGTH)])
