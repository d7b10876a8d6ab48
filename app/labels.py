"""Translatable labels of every enumeration value, in one place for the catalog."""
from flask_babel import lazy_gettext as _l

_LABELS = {
    "role": {"admin": _l("Administrator"), "manager": _l("Regional manager"), "rep": _l("Sales rep"),
             "expert": _l("Expert")},
    "marketstatus": {"untouched": _l("Untouched"), "breaking_in": _l("Breaking in"),
                     "broken_through": _l("Broken through")},
    "membershipstatus": {"prospect": _l("Prospect"), "applied": _l("Applied"), "active": _l("Active"),
                         "lapsed": _l("Lapsed")},
    "stage": {"prospect": _l("Prospect"), "target": _l("Target"), "engaged": _l("Engaged"),
              "opportunity": _l("Opportunity"), "won": _l("Won"), "key_account": _l("Key account"),
              "dormant": _l("Dormant")},
    "tier": {"A": _l("Tier A"), "B": _l("Tier B"), "C": _l("Tier C")},
    "revenueband": {"under_10m": _l("Under 10M CNY"), "10m_50m": _l("10M–50M CNY"),
                    "50m_200m": _l("50M–200M CNY"), "over_200m": _l("Over 200M CNY")},
    "contactrole": {"key_person": _l("Key person"), "decision_maker": _l("Decision maker"),
                    "node": _l("Node"), "technical": _l("Technical"), "procurement": _l("Procurement"),
                    "management": _l("Management")},
    "line": {"business": _l("Business line"), "technical": _l("Technical line"),
             "management": _l("Management line")},
    "opportunitystage": {"spotted": _l("Spotted"), "qualifying": _l("Qualifying"), "proposal": _l("Proposal"),
                         "negotiation": _l("Negotiation"), "won": _l("Won"), "lost": _l("Lost")},
    "organisation": {"rnd": _l("R&D centre"), "production": _l("Production"),
                     "marketing": _l("Marketing centre"), "outside": _l("Outside expert")},
    "seminarstatus": {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed"), "held": _l("Held"),
                      "cancelled": _l("Cancelled")},
    "registrationstatus": {"confirmed": _l("Confirmed"), "waitlisted": _l("Waiting list"),
                           "cancelled": _l("Cancelled"), "attended": _l("Attended"), "no_show": _l("No-show")},
    "questionkind": {"text": _l("Text"), "choice": _l("Choice"), "yes_no": _l("Yes / no")},
    "purpose": {"introduction": _l("Introduction"), "relationship": _l("Relationship"),
                "technical_consulting": _l("Technical consulting"), "opportunity": _l("Opportunity follow-up"),
                "key_account_care": _l("Key-account care")},
    "visitstatus": {"planned": _l("Planned"), "confirmed": _l("Confirmed"), "done": _l("Done"),
                    "cancelled": _l("Cancelled")},
    "auditaction": {"insert": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")},
}


def label_for(member) -> str:
    return str(_LABELS[type(member).__name__.lower()][member.value])
