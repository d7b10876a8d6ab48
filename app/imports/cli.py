"""`flask --app wsgi import-directory FILE --association ID`: the same import for large files."""
from pathlib import Path

import click
from flask import current_app, g
from sqlalchemy import func, select

from app.extensions import db
from app.imports import bp


@bp.cli.command("import-directory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--association", "association_id", type=int, required=True, help="Id of the association.")
@click.option("--encoding", type=click.Choice(["utf-8-sig", "gb18030"]), default=None,
              help="Encoding of a CSV file (detected when not given).")
@click.option("--user", "user_email", default=None, help="E-mail of the user the import is recorded for.")
@click.option("--dry-run", is_flag=True, help="Only report what the import would do.")
@click.option("--confirm-doubtful", is_flag=True, help="Treat doubtful matches as the same company.")
def import_directory(file, association_id, encoding, user_email, dry_run, confirm_doubtful):
    """Import a member directory (CSV or .xlsx) into an association, all or nothing."""
    # Messages and the audit hook expect a request; the command runs in one, in English.
    with current_app.test_request_context(headers={"Accept-Language": "en"}):
        _import(file, association_id, encoding, user_email, dry_run, confirm_doubtful)


def _import(file, association_id, encoding, user_email, dry_run, confirm_doubtful):
    from app.associations.models import Association
    from app.auth.models import User
    from app.imports import services
    from app.imports.reader import ImportFileError

    association = db.session.get(Association, association_id)
    if association is None:
        raise click.ClickException(f"No association with id {association_id}.")
    user = None
    if user_email:
        user = db.session.scalar(select(User).where(func.lower(User.email) == user_email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user with e-mail {user_email}.")
        g.audit_user_id = user.id
    try:
        batch, table = services.store_upload(association, file.name, file.read_bytes(),
                                             user_id=user.id if user else None, encoding=encoding)
        columns = batch.mapping["columns"]
        click.echo(f"{len(table.rows)} rows; columns: " + ", ".join(
            f"{table.header[int(i)]} → {f}" for i, f in sorted(columns.items(), key=lambda kv: int(kv[0]))))
        if "name" not in columns.values():
            raise ImportFileError("No column holds the company name (企业名称/公司名称/单位名称).")
        with click.progressbar(length=len(table.rows), label="Checking rows") as bar:
            plan = services.plan_import(batch, table, progress=bar.update)
        if confirm_doubtful:
            plan = services.plan_import(batch, table, {r.number for r in plan.of("doubt")})
        counts = plan.counts
        click.echo(f"new {counts['create'] + counts['doubt']} (doubtful {counts['doubt']}), "
                   f"matched {counts['match'] + counts['merge']}, rejected {counts['reject']}")
        for row in plan.of("reject")[:20]:
            click.echo(f"  row {row.number}: {row.reason}")
        if dry_run:
            db.session.rollback()  # the upload and its batch with it
            click.echo("Dry run: nothing was imported.")
            return
        with click.progressbar(length=len(plan.rows), label="Importing") as bar:
            services.apply_import(batch, plan, progress=bar.update)
        db.session.commit()
    except ImportFileError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    click.echo(f"Import #{batch.id} committed: {batch.created_count} created, {batch.matched_count} matched, "
               f"{batch.rejected_count} rejected.")
