"""`outbox-send`: deliver what is waiting in the outbox, retrying earlier failures."""
import click
from flask.cli import with_appcontext


@click.command("outbox-send")
@with_appcontext
def outbox_send():
    """Send unsent e-mail from the outbox by SMTP (MAIL_SERVER must be set)."""
    from app.outbox.services import deliver, mail_configured

    if not mail_configured():
        # Not a failure: a Grove without mail is set up that way (grove-outbox.timer would fail every minute).
        click.echo("MAIL_SERVER is not set: nothing sent; messages stay readable on the admin outbox page.")
        return
    sent, failed = deliver()
    click.echo(f"Sent {sent}, failed {failed}.")
    if failed:
        raise SystemExit(1)
