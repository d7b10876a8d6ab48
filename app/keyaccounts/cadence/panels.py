"""An account's care on the company page and in the companies list (app/core/panels.py)."""
from dataclasses import dataclass, field

from app.core import panels
from app.keyaccounts.cadence import services
from app.keyaccounts.care import CARE_STAGES, KEPT_STAGES, Care, assess_one, health_band, health_reasons


@dataclass
class CompanyCare:
    """What keeping the company needs today, as templates/keyaccounts/_company_care.html shows it."""

    care: Care
    what: str
    band: str
    reasons: list[dict] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        """A won or key account: it has a health score."""
        return self.care.company.stage in KEPT_STAGES


@panels.register("accounts.detail")
def company_care(company) -> dict:
    """Attention due or when it falls due next, the last visit done and, for a won or key account,
    health with its reasons; nothing for a company not in care."""
    if company.stage not in CARE_STAGES:
        return {"company_care": None}
    result = assess_one(company, company.contacts, company.orders)  # the page loaded its people and orders
    reasons = health_reasons(result.health_parts) if result.health is not None else []
    return {"company_care": CompanyCare(result, services.due_label(result.due_reason), health_band(result.health),
                                        reasons)}


@panels.register("accounts.index")
def companies_care(companies, regions) -> dict:
    """Each listed account's days over (or next due day) and health, from the care row it came with."""
    return {"care_marks": services.care_marks(companies, regions)}
