import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError
from wtforms.validators import DataRequired, Length

from app.core.forms import GroveForm

# Characters that turn the text around them (bidi embeddings, overrides and isolates): a name
# with them can show as something else than it is, on the page and in the confirm that quotes it.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def plain_text(form, field) -> None:
    """A name is one line of visible text: no control characters (line breaks, NUL) and no bidi controls."""
    if any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in field.data or ""):
        raise ValidationError(_l("Use one line of plain text: no line breaks, control characters "
                                 "or text-direction marks."))


class TokenForm(GroveForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the token, e.g. after the system that uses it.")),
                                               Length(max=80), plain_text],
                       description=_l("What uses it, e.g. “CRM sync” or “weekly report”."))
