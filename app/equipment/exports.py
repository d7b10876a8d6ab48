"""The installed base as a file (app/core/exports.py writes it), in the list's serial order."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.accounts.models import Company
from app.core.exports import Column, Table
from app.equipment.models import InstalledEquipment

MACHINES = Table(_l("Installed base"), [
    Column(_l("Company"), lambda m: m.company.name, 30),
    Column(_l("Machine model"), lambda m: m.model.name, 14),
    Column(_l("Serial number"), lambda m: m.serial, 16),
    Column(_l("Site"), lambda m: m.site, 20),
    Column(_l("Installed on"), lambda m: m.installed_on, 12),
    Column(_l("Warranty until"), lambda m: m.warranty_until, 12),
    Column(_l("Region"), lambda m: m.company.region.display_name, 10),
])

# What the table reads beyond the list's own loads (company, model).
MACHINE_LOADS = (joinedload(InstalledEquipment.company).joinedload(Company.region),)
