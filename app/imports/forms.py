from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from app.core.forms import GroveForm

ENCODING_CHOICES = [("", _l("Detect automatically")), ("utf-8-sig", _l("UTF-8 (with or without BOM)")),
                    ("gb18030", _l("GBK / GB18030 (Excel in China)"))]


class UploadForm(GroveForm):
    file = FileField(_l("Directory file (CSV or .xlsx)"), validators=[FileRequired(_l("Choose a file to upload."))])
    encoding = SelectField(_l("Encoding of a CSV file"), choices=ENCODING_CHOICES, default="")
