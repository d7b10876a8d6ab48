"""`flask backup PATH` and `flask restore PATH`: a consistent copy of Grove's database while
people work, and its return after an integrity check.

SQLite copies with its online backup API (one step, so the copy is the database as it stood at
one commit, while sign-ups go on in WAL mode); PostgreSQL with `pg_dump --format=custom`, which
reads one snapshot. A restore checks the file first (PRAGMA integrity_check, `pg_restore
--list`) and refuses a database that holds data unless told `--force`.
"""
import glob
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.extensions import db


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; the database is left as it was."""


def postgres_program(name: str) -> str:
    """pg_dump or pg_restore: on the PATH, else the newest under /usr/lib/postgresql/*/bin (Debian)."""
    if found := shutil.which(name):
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return max(candidates, key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)))


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _target(path: str, suffix: str) -> Path:
    """PATH itself, or a new dated file in it when PATH is a folder."""
    target = Path(path)
    if target.is_dir():
        target = target / f"grove-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    return target


def _pg_env(url: sa.URL) -> tuple[list[str], dict]:
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    # A restore waits at most this long for a table Grove still uses, then fails and changes nothing.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout=30000".strip()
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(args: list[str], env: dict | None = None) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, errors="replace", check=False)
    if result.returncode:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def check_sqlite_file(path: Path) -> str:
    """The Alembic revision of a SQLite backup, after its integrity check; raises if it is not sound."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchall()
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a sound Grove SQLite backup: {exc}") from exc
    if verdict != [("ok",)]:
        raise BackupError(f"{path} failed the integrity check: {'; '.join(r[0] for r in verdict[:5])}")
    return revision[0] if revision else "?"


def check_pg_dump(path: Path) -> int:
    """The number of entries in a pg_dump archive; raises if pg_restore cannot read all of it."""
    pg_restore = postgres_program("pg_restore")
    listing = _run([pg_restore, "--list", str(path)])
    entries = [line for line in listing.splitlines() if line and not line.startswith(";")]
    if not any(" TABLE DATA " in line and " alembic_version " in line for line in entries):
        raise BackupError(f"{path} is not a backup of a Grove database (no alembic_version table).")
    # --list reads only the table of contents; writing the whole script nowhere reads every data block.
    _run([pg_restore, "--file", os.devnull, str(path)])
    return len(entries)


def backup_database(path: str) -> Path:
    """Copy the database to PATH (or a dated file in the folder PATH) and check the copy."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        target = _target(path, ".sqlite3")
        partial = target.with_name(target.name + ".partial")
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # every page in one step: the database as of one moment
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
        try:
            check_sqlite_file(partial)
        except BackupError:
            partial.unlink(missing_ok=True)
            raise
    elif url.get_backend_name() == "postgresql":
        target = _target(path, ".dump")
        partial = target.with_name(target.name + ".partial")
        args, env = _pg_env(url)
        try:
            _run([postgres_program("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args], env)
            check_pg_dump(partial)
        except BackupError:
            partial.unlink(missing_ok=True)
            raise
    else:
        raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
    partial.replace(target)
    target.chmod(0o600)  # the copy holds everyone's personal data
    return target


def database_has_data() -> bool:
    """True when any of the database's tables (Alembic's own aside) holds a row."""
    with db.engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            if table != "alembic_version" and conn.execute(
                    sa.select(sa.literal(1)).select_from(sa.table(table)).limit(1)).first():
                return True
    return False


def restore_database(path: str, *, force: bool = False) -> str:
    """Check the backup at PATH, then put it in place of the database; returns what was restored."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        revision = check_sqlite_file(source)
        described = f"revision {revision}"
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        described = f"{check_pg_dump(source)} archive entries"
    else:
        raise BackupError(f"Restoring into {backend} databases is not supported.")
    if not force and database_has_data():
        raise BackupError("The database is not empty; restoring would replace its data. Add --force to do so.")
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        target = _sqlite_path(url)
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(target, timeout=30)
        try:
            # The backup API replaces the pages under SQLite's own locks, WAL and all.
            backup.backup(live)
        finally:
            live.close()
            backup.close()
    else:
        args, env = _pg_env(url)
        _run([postgres_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", *args, str(source)], env)
    return described


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True, writable=True))
@with_appcontext
def backup(path):
    """Copy the database to PATH (a file, or a folder for a dated file) while Grove keeps running."""
    target = backup_database(path)
    click.echo(f"Backed up to {target} ({target.stat().st_size} bytes, integrity checked).")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore(path, force):
    """Restore a backup made by `flask backup` after checking it; stop Grove's workers first."""
    described = restore_database(path, force=force)
    click.echo(f"Restored {path} ({described}). Run `flask --app wsgi db upgrade` if this Grove is newer.")
