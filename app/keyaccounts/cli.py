"""`flask --app wsgi refresh-accounts`: the daily recount of attention due and health.

Writes keep account care current at once; only the passing of days changes it without a
write (an account falls due, freshness fades). Run it once a day after midnight (cron or a
systemd timer); running it again the same day changes nothing.
"""
import click
from sqlalchemy import select

from app.accounts.models import Company
from app.extensions import db
from app.keyaccounts import care


@click.command("refresh-accounts")
def refresh_accounts():
    """Recompute attention due, gaps and health of every account in care."""
    ids = list(db.session.scalars(select(Company.id).where(Company.stage.in_(care.CARE_STAGES))))
    n = care.refresh(ids)
    db.session.commit()
    click.echo(f"Refreshed the care of {n} account{'' if n == 1 else 's'}.")
