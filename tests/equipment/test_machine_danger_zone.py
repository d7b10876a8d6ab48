"""Removing a machine is not an everyday action: not on the company page's machine rows, but in the
danger zone of the machine's own page, confirmed with a tick."""
import re

from app.equipment.models import InstalledEquipment
from app.extensions import db


def test_machine_removal_sits_in_the_danger_zone(client, login_as, make_company, make_machine):
    company = make_company("温州华信眼镜有限公司")
    machine = make_machine(company, "GX-500", serial="SN-1")
    login_as("rep")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "SN-1" in page and f"/equipment/{machine.id}/delete" not in page
    assert f"/equipment/{machine.id}/edit" in page
    form = client.get(f"/equipment/{machine.id}/edit").get_data(as_text=True)
    zone = form[form.index('id="danger-zone"'):]
    assert f'action="/equipment/{machine.id}/delete"' in zone
    assert re.search(r'<input type="checkbox" id="confirm-remove" name="confirm" value="1" required>', zone)
    assert client.post(f"/equipment/{machine.id}/delete", data={"confirm": "1"}).status_code == 303
    assert db.session.get(InstalledEquipment, machine.id) is None
