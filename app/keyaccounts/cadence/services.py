"""A region's key-account rules, the accounts with attention due, and what is due in words.
Services flush; routes commit."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, inspect, select
from sqlalchemy.orm import contains_eager, joinedload

from app.accounts.models import AccountCare, Company, Line, Tier, company_markets
from app.accounts.services import overdue
from app.auth.models import Region, User
from app.core.access import check_region
from app.core.time import today_in
from app.extensions import db
from app.keyaccounts.care import CARE_STAGES, KEPT_STAGES, PUSH_STAGES, days_over, health_band, rules_for
from app.keyaccounts.models import AccountSettings, CadenceRule

# The due list's stage groups: the push on targets, and the care of won and key accounts.
STAGE_GROUPS = {"targets": PUSH_STAGES, "kept": KEPT_STAGES}
STAGE_GROUP_LABELS = {"targets": _l("Targets in the push"), "kept": _l("Won and key accounts")}


def due_label(reason: str) -> str:
    """What is due, in words: a visit, a target's visit, or a touch with the node people of a line."""
    if reason == "visit":
        return _("A visit")
    if reason == "target":
        return _("A target visit")
    if reason in Line._value2member_map_:
        return _("%(line)s: a touch with the node person", line=Line(reason).label)
    return ""


# ---- the rules page


@dataclass
class Rules:
    """A region's rules as the page shows them: the saved rows, or DESIGN.md's defaults where none is."""

    region: Region
    cadence: dict[Tier, CadenceRule]
    settings: AccountSettings

    @property
    def unsaved(self) -> bool:
        """True while some of the rules are the defaults, not yet saved for the region."""
        return any(inspect(row).transient for row in (*self.cadence.values(), self.settings))


def rules_of(region: Region) -> Rules:
    rules, settings = rules_for([region.id])
    return Rules(region, {tier: rules[region.id, tier] for tier in Tier}, settings[region.id])


def form_data(rules: Rules) -> dict:
    """The rules as the form's field values."""
    settings = rules.settings
    data = {"target_gap_days": settings.target_gap_days, "key_account_value": settings.key_account_cents,
            "tier_b_value": settings.tier_b_cents, "tier_a_value": settings.tier_a_cents}
    for tier, rule in rules.cadence.items():
        key = tier.value.lower()
        data[f"{key}_visit_days"] = rule.max_gap_days
        data |= {f"{key}_{line.value}_days": rule.line_gap(line) for line in Line}
    return data


def save_rules(rules: Rules, data: dict) -> None:
    """Write a region's rules, creating the rows it had only as defaults. The commit re-computes the
    attention due of every account of the region (app/keyaccounts/hooks.py)."""
    check_region(rules.region.id)
    for tier, rule in rules.cadence.items():
        key = tier.value.lower()
        rule.max_gap_days = data[f"{key}_visit_days"]
        for line in Line:
            setattr(rule, f"{line.value}_gap_days", data[f"{key}_{line.value}_days"])
    settings = rules.settings
    settings.target_gap_days = data["target_gap_days"]
    settings.key_account_cents = data["key_account_value"]
    settings.tier_b_cents = data["tier_b_value"]
    settings.tier_a_cents = data["tier_a_value"]
    # The hooks read region_id when the rows are flushed: the defaults carry it already.
    db.session.add_all(row for row in (*rules.cadence.values(), settings) if inspect(row).transient)
    db.session.flush()


# ---- attention due


def due_query(regions: list[Region], *, owner_id=None, group=None, market_id=None, tier=None):
    """Accounts in care past their due day, the longest overdue first (the region scope applies).

    `regions` are the user's: each counts from its own today.
    """
    stmt = (select(Company).join(AccountCare, AccountCare.company_id == Company.id)
            .where(Company.stage.in_(CARE_STAGES), overdue(regions))
            .options(contains_eager(Company.care), joinedload(Company.owner).lazyload(User.regions)))
    if owner_id:
        stmt = stmt.where(Company.owner_id == owner_id)
    if group:
        stmt = stmt.where(Company.stage.in_(STAGE_GROUPS[group]))
    if market_id:
        stmt = stmt.where(exists().where(company_markets.c.company_id == Company.id,
                                         company_markets.c.market_id == market_id))
    if tier:
        stmt = stmt.where(Company.tier == tier)
    return stmt.order_by(AccountCare.due_on, Company.name_key, Company.id)


@dataclass
class CareMark:
    """An account's care as a list row shows it: days over (or when due next), what, health."""

    company: Company
    care: AccountCare
    today: date

    @property
    def days_over(self) -> int:
        return days_over(self.care.due_on, self.today)

    @property
    def what(self) -> str:
        return due_label(self.care.due_reason)

    @property
    def band(self) -> str:
        return health_band(self.care.health)


def care_marks(companies: list[Company], regions: list[Region]) -> dict[int, CareMark]:
    """{company id: CareMark} for the listed companies that are in care (their care row loaded)."""
    todays = {region.id: today_in(region) for region in regions}
    return {c.id: CareMark(c, c.care, todays.get(c.region_id) or today_in(c.region))
            for c in companies if c.care is not None and c.care.due_on is not None}
