"""What the company page shows of account plans (app/core/panels.py)."""
from app.core import panels
from app.keyaccounts.plans import services


@panels.register("accounts.detail")
def company_plan(company) -> dict:
    """A key account's plan for this year in brief (or the year one could be made for); nothing otherwise."""
    return services.company_summary(company)
