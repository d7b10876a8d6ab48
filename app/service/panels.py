"""A company's service cases on its page (app/core/panels.py)."""
from app.core import panels
from app.core import time as grove_time
from app.service import services


@panels.register("accounts.detail")
def company_cases(company) -> dict:
    """The company's open cases, then its latest closed ones; whether the account is at risk."""
    return {"service_cases": services.company_cases(company.id),
            "service_facts": services.account_service_facts([company.id])[company.id],
            "service_now": grove_time.now_utc()}
