"""The three-line map on the company page (app/core/panels.py), and the context its own routes render."""
from flask_login import current_user

from app.accounts.models import Company, Contact
from app.auth.services import users_in
from app.core import panels
from app.keyaccounts.coverage import services
from app.keyaccounts.coverage.forms import TieForm, TouchForm

# The states whose person the map offers to give a tie (to a holder, or to the line the tier needs).
NEEDS_TIE = ("no_holder", "inactive_holder")


@panels.register("accounts.detail")
def three_line_map(company: Company) -> dict:
    """The company page loads the company with its contacts and their holders."""
    return map_context(company, company.contacts)


def _touch_form(contact: Contact, today, form: TouchForm | None = None) -> TouchForm:
    form = form or TouchForm(formdata=None, data={"touched_on": today})
    form.today = today
    for f in form:  # one form per person on the page: ids must differ
        f.id = f"touch-{contact.id}-{f.name}"
    return form


def _tie_form(contact: Contact, line, holders, form: TieForm | None = None) -> TieForm:
    if form is None:
        holder_ids = {u.id for u in holders}
        holder = contact.holder_id if contact.holder_id in holder_ids and contact.holder.active else (
            current_user.id if current_user.id in holder_ids else None)
        form = TieForm(formdata=None, data={"line": line.value if line else None, "holder_id": holder})
    form.holder_id.choices = [(u.id, u.name) for u in holders]
    for f in form:
        f.id = f"tie-{contact.id}-{line.value if line else 'none'}-{f.name}"
    return form


def map_context(company: Company, contacts: list[Contact], *, touch_form: TouchForm | None = None,
                tie_form: TieForm | None = None, form_contact_id: int | None = None) -> dict:
    """`coverage` (None unless the company is a kept account) and, for people who may write, a
    touch form per person on a line and a tie form per gap a tie fills. A form that came back
    with errors (`touch_form` / `tie_form` for `form_contact_id`) takes its person's place."""
    coverage = services.coverage_for(company, contacts)
    context = {"coverage": coverage, "touch_forms": {}, "tie_forms": {}, "state_labels": services.STATE_LABELS}
    if coverage is None or not current_user.is_authenticated or current_user.is_expert:
        return context
    holders = users_in([company.region_id])
    touch_forms, tie_forms = context["touch_forms"], context["tie_forms"]
    for row in coverage.rows:
        for tie in row.ties:
            contact = tie.contact
            if tie.state in NEEDS_TIE:  # first give the tie to someone; then touches count
                tie_forms[f"{contact.id}-{row.line.value}"] = (contact, row.line)
            else:
                errored = touch_form if contact.id == form_contact_id else None
                touch_forms[contact.id] = _touch_form(contact, coverage.today, errored)
        for cell in row.missing:
            for contact in cell.contacts:
                tie_forms[f"{contact.id}-{row.line.value}"] = (contact, row.line)
    for tie in coverage.untied:
        tie_forms.setdefault(f"{tie.contact.id}-none", (tie.contact, None))
    # The form that came back with errors replaces the one for the line it named (else the person's first).
    errored_key = None
    if tie_form is not None:
        named = f"{form_contact_id}-{tie_form.line.data or 'none'}"
        errored_key = named if named in tie_forms else next(
            (k for k in tie_forms if k.split("-")[0] == str(form_contact_id)), None)
    for key, (contact, line) in list(tie_forms.items()):
        tie_forms[key] = _tie_form(contact, line, holders, tie_form if key == errored_key else None)
    # A form sent for a person the map offers no such form for still shows its messages, on top.
    person = next((c for c in contacts if c.id == form_contact_id), None)
    if touch_form is not None and person is not None and person.id not in touch_forms:
        context["lone_touch"] = (person, _touch_form(person, coverage.today, touch_form))
    if tie_form is not None and person is not None and errored_key is None:
        context["lone_tie"] = (person, _tie_form(person, None, holders, tie_form))
    return context
