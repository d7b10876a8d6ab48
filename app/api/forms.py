from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token, e.g. after the system that uses it.")),
                                               Length(max=80)],
                       description=_l("What uses it, e.g. “CRM sync” or “weekly report”."))
