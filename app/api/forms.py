from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.core.forms import GroveForm


class TokenForm(GroveForm):
    """A token's name: one line of plain text, as every one-line input of a GroveForm."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token, e.g. after the system that uses it.")),
                                               Length(max=80)],
                       description=_l("What uses it, e.g. “CRM sync” or “weekly report”."))
