from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.validators import AnyOf

from app.core.forms import GroveForm
from app.notifications.models import Delivery


class DeliveryForm(GroveForm):
    delivery = RadioField(_l("How Grove notifies you"), choices=Delivery.choices, validate_choice=False,
                          validators=[AnyOf([d.value for d in Delivery], message=_l("Choose how Grove notifies you."))])
