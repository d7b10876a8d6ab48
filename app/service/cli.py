"""`flask --app wsgi check-sla`: warn the owners of clocks at 80 % and tell owners and managers of
breaches, each once. Run it from cron every 5 minutes; running it more often, or on several
hosts at once, sends nothing twice (README, Command line)."""
import click

from app.service import bp, services


@bp.cli.command("check-sla")
def check_sla():
    """Send the SLA warnings and breach notices that are due (in the app and by e-mail), each once."""
    warned, breached = services.check_sla()
    click.echo(f"SLA check: {warned} warning{'' if warned == 1 else 's'}, "
               f"{breached} breach{'' if breached == 1 else 'es'} notified.")
