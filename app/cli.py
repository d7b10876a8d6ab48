"""Command-line tasks: `flask --app wsgi <command>`."""
import click
from flask import Flask

from app.auth.models import Role
from app.extensions import db


@click.command("send-reminders")
def send_reminders():
    """Send the reminders that are due (renewals, the weekly attention digest, SLA warnings and breaches), each once."""
    from app.associations.reminders import send_renewal_reminders
    from app.keyaccounts.digest import send_attention_digests
    from app.outbox.services import deliver, pending_mail_ids
    from app.service.services import check_sla

    renewals, renewal_mail = send_renewal_reminders()
    digests, digest_mail = send_attention_digests()
    warned, breached = check_sla()
    sla_mail = pending_mail_ids()
    db.session.rollback()  # a sender's claim must be its transaction's first statement (SQLite)
    # Sent at once when a mail server is set, like the e-mail of a request; outbox-send retries failures.
    sent, failed = deliver(renewal_mail + digest_mail + sla_mail, retry_failed=False)
    click.echo(f"Renewal reminders: {renewals}. Attention digests: {digests}. "
               f"SLA warnings: {warned}, breaches: {breached}. E-mail sent: {sent}, failed: {failed}.")


def register_cli(app: Flask) -> None:
    from app.backup import backup, restore
    from app.keyaccounts.cli import refresh_accounts
    from app.outbox.cli import outbox_send

    app.cli.add_command(outbox_send)
    app.cli.add_command(refresh_accounts)
    app.cli.add_command(send_reminders)
    app.cli.add_command(backup)
    app.cli.add_command(restore)

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--region", "regions", multiple=True,
                  help="Region name; created if it does not exist. Repeat for several.")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user(email, name, role, regions, password):
        """Create a user (and the named regions if they do not exist yet), under the sign-in form's rules."""
        from flask_babel import force_locale

        from app.auth import rules, services

        with force_locale("en"):
            try:
                email = rules.normalize_email(email)
                rules.check_password(password, email=email)
            except rules.RuleBroken as broken:
                raise click.ClickException(str(broken)) from None
        if services.find_user(email):
            raise click.ClickException(f"A user with e-mail {email} already exists.")
        if role != Role.ADMIN.value and not regions:
            raise click.ClickException("A non-admin user needs at least one --region.")
        region_rows = [services.get_or_create_region(r.strip()) for r in regions]
        user = services.create_user(email=email, name=name, role=role, password=password, regions=region_rows)
        db.session.commit()
        click.echo(f"Created {user.role.value} {user.email} in {', '.join(regions) or 'all regions'}.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def seed_demo(if_empty):
        """Fill the Wenzhou and Wuxi demo regions (idempotent) and print the demo logins."""
        from app.demo import seed_demo as run

        run(if_empty=if_empty, echo=click.echo)
