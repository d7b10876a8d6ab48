"""What the service domain adds to lower domains' pages (app/core/panels.py): a company's service
cases on its page; and what a visit scheduled from a case is for (app/visits/links.py)."""
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import panels
from app.core import time as grove_time
from app.extensions import db
from app.service import services
from app.service.models import ServiceCase
from app.visits import links


@panels.register("accounts.detail")
def company_cases(company) -> dict:
    """The company's open cases, then its latest closed ones; whether the account is at risk."""
    return {"service_cases": services.company_cases(company.id),
            "service_facts": services.account_service_facts([company.id])[company.id],
            "service_now": grove_time.now_utc()}


@links.register("case")
def case_to_visit(case_id: int) -> links.ScheduledFor | None:
    """A case the person may see, as what a service visit scheduled from its page is for."""
    service_case = db.session.scalar(select(ServiceCase).where(ServiceCase.id == case_id)
                                     .options(joinedload(ServiceCase.company)))
    if service_case is None:
        return None
    return links.ScheduledFor(
        arg="case", id=service_case.id, company_id=service_case.company_id,
        label=f"{_('Case %(ref)s', ref=service_case.reference)} · {service_case.company.display_name}",
        url=url_for("service.detail", case_id=service_case.id) + "#visits",
        link=lambda visit: services.link_visit(service_case, visit, by=current_user),
        agenda=_("Case %(ref)s: %(description)s", ref=service_case.reference,
                 description=service_case.description)[:1000])
