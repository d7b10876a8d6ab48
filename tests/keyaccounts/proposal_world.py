"""The key-account proposal of the access walk's world (tests/test_access.py builds one per region)."""
from app.accounts.models import Tier
from app.extensions import db
from app.keyaccounts.models import KeyAccountProposal


def proposal_records(region, company, user) -> dict:
    """A proposal waiting for a manager: the company's orders call for key account, tier B."""
    proposal = KeyAccountProposal(company=company, proposed_tier=Tier.B, reason="orders", order_count=2,
                                  yearly_cents=1_000_000)
    db.session.add(proposal)
    db.session.commit()
    return {"key_account_proposal": proposal}
