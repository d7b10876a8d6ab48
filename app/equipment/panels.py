"""The machines a company's page shows (app/core/panels.py)."""
from flask_login import current_user

from app.core import panels
from app.core.time import today_in
from app.core.urls import id_url
from app.equipment import services

# The company page's card lists the first machines by site and serial; the installed base lists them all.
CARD_MACHINES = 25


@panels.register("accounts.detail")
def company_machines(company) -> dict:
    """The company's installed machines; the form to add one (not for experts, who read) is fetched
    when its fold is opened."""
    machines, count = services.company_machines(company.id, limit=CARD_MACHINES)
    return {"machines": machines, "machine_count": count, "machine_today": today_in(company.region),
            "can_write_equipment": not current_user.is_expert,
            # Each row's link to its machine, built once for the card's rows.
            "machine_url": id_url("equipment.edit_machine", "equipment_id")}
