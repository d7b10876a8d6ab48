"""Search from the header and names sorted by pinyin

Revision ID: 0012_search
Revises: 0011_notifications

- `name_sort` (pinyin sort key, app/core/pinyin.py) on companies, contacts, associations and
  experts, filled for the rows there are, indexed.
- `search_entries`, one row per company, contact, seminar and association with the text the
  header search matches, kept current by triggers on those tables (so bulk inserts and any
  other writer keep it too), filled for the rows there are; a company's former names come from
  the renames in the audit trail.
- SQLite: the FTS5 table `search_fts` (trigram tokenizer, external content `search_entries`)
  with its triggers. PostgreSQL: the `pg_trgm` extension and a GIN trigram index on the text.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core.pinyin import sort_key

revision = "0012_search"
down_revision = "0011_notifications"
branch_labels = None
depends_on = None

SORT_KEY = sa.String(200).with_variant(postgresql.VARCHAR(200, collation="C"), "postgresql")
# table, whether its names are people's, the column the key reads
SORTED = (("companies", False, "name_key"), ("contacts", True, "name"), ("associations", False, "name"),
          ("experts", True, "name"))

NL = {"sqlite": "char(10)", "postgresql": "E'\\n'"}


def _digits(column: str, dialect: str) -> str:
    """The digits of a phone number, in SQL ("138 0013-8000" and "+86 (138)..." keep their digits)."""
    if dialect == "postgresql":
        return f"regexp_replace(coalesce({column}, ''), '[^0-9]', '', 'g')"
    expr = f"coalesce({column}, '')"
    for ch in (" ", "-", "+", "(", ")", ".", "/", "（", "）", "－", "—", "\u3000", "\t", "#", ",", "，"):
        expr = f"replace({expr}, '{ch}', '')"
    return expr


def _join(parts: list[str], dialect: str) -> str:
    return f" || {NL[dialect]} || ".join(f"coalesce({p}, '')" for p in parts)


# kind: (table, the columns whose change rewrites the text, the text from a row `r`)
def _sources(dialect: str) -> dict:
    return {
        "company": ("companies", ("name", "short_name"), lambda r: _join([f"{r}.name", f"{r}.short_name"], dialect)),
        "contact": ("contacts", ("name", "phone", "email"),
                    lambda r: _join([f"{r}.name", _digits(f"{r}.phone", dialect), f"lower({r}.email)"], dialect)),
        "seminar": ("seminars", ("title", "venue"), lambda r: _join([f"{r}.title", f"{r}.venue"], dialect)),
        "association": ("associations", ("name",), lambda r: _join([f"{r}.name"], dialect)),
    }


def _with_former(text: str, dialect: str) -> str:
    return f"{text} || {NL[dialect]} || former_names"


def _sqlite_triggers() -> list[str]:
    statements = []
    for kind, (table, columns, text) in _sources("sqlite").items():
        statements.append(f"""
            CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN
              INSERT INTO search_entries (kind, row_id, former_names, text) VALUES ('{kind}', new.id, '', {text('new')})
              ON CONFLICT (kind, row_id) DO UPDATE SET former_names = '', text = excluded.text;
            END""")
        if kind == "company":
            # The old name joins the former names when it changes (once), then the text is rewritten.
            update = f"""
              UPDATE search_entries SET former_names = ltrim(former_names || char(10) || old.name, char(10))
               WHERE kind = 'company' AND row_id = new.id AND old.name <> new.name
                 AND instr(char(10) || former_names || char(10), char(10) || old.name || char(10)) = 0;
              UPDATE search_entries SET text = {_with_former(text('new'), 'sqlite')}
               WHERE kind = 'company' AND row_id = new.id;"""
        else:
            update = f"""
              UPDATE search_entries SET text = {text('new')} WHERE kind = '{kind}' AND row_id = new.id;"""
        statements.append(f"""
            CREATE TRIGGER search_{table}_au AFTER UPDATE OF {', '.join(columns)} ON {table} BEGIN{update}
            END""")
        statements.append(f"""
            CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN
              DELETE FROM search_entries WHERE kind = '{kind}' AND row_id = old.id;
            END""")
    # The FTS5 table reads its text from search_entries (external content) and is told of each change.
    statements += [
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_entries', content_rowid='id', "
        "tokenize='trigram')",
        """CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
             INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
           END""",
        """CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
             INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
           END""",
        """CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
             INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
             INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
           END""",
    ]
    return statements


def _postgres_triggers() -> list[str]:
    statements = []
    for kind, (table, columns, text) in _sources("postgresql").items():
        if kind == "company":
            update = f"""
                IF OLD.name <> NEW.name THEN
                  UPDATE search_entries SET former_names = ltrim(former_names || E'\\n' || OLD.name, E'\\n')
                   WHERE kind = 'company' AND row_id = NEW.id
                     AND position(E'\\n' || OLD.name || E'\\n' in E'\\n' || former_names || E'\\n') = 0;
                END IF;
                UPDATE search_entries SET text = {_with_former(text('NEW'), 'postgresql')}
                 WHERE kind = 'company' AND row_id = NEW.id;"""
        else:
            update = f"""
                UPDATE search_entries SET text = {text('NEW')} WHERE kind = '{kind}' AND row_id = NEW.id;"""
        statements.append(f"""
            CREATE FUNCTION search_{table}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                DELETE FROM search_entries WHERE kind = '{kind}' AND row_id = OLD.id;
                RETURN OLD;
              ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO search_entries (kind, row_id, former_names, text) VALUES ('{kind}', NEW.id, '', {text('NEW')})
                ON CONFLICT (kind, row_id) DO UPDATE SET former_names = '', text = EXCLUDED.text;
              ELSE{update}
              END IF;
              RETURN NEW;
            END $$""")
        statements.append(f"""
            CREATE TRIGGER search_{table}_sync AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION search_{table}_sync()""")
    statements.append("CREATE INDEX ix_search_entries_text_trgm ON search_entries USING gin (text gin_trgm_ops)")
    return statements


def _fill_search(dialect: str) -> None:
    for kind, (table, _columns, text) in _sources(dialect).items():
        op.execute(f"INSERT INTO search_entries (kind, row_id, former_names, text) "
                   f"SELECT '{kind}', r.id, '', {text('r')} FROM {table} r")
    # Former names: each rename the audit trail recorded (changes {"name": [old, new]}), oldest first.
    conn = op.get_bind()
    audit = sa.table("audit_entries", sa.column("id", sa.Integer), sa.column("table_name", sa.String),
                     sa.column("action", sa.String), sa.column("row_id", sa.String), sa.column("changes", sa.JSON))
    former: dict[int, list[str]] = {}
    rows = conn.execute(sa.select(audit.c.row_id, audit.c.changes)
                        .where(audit.c.table_name == "companies", audit.c.action == "update").order_by(audit.c.id))
    for row_id, changes in rows:
        name = (changes or {}).get("name") if isinstance(changes, dict) else None
        if isinstance(name, list) and len(name) == 2 and name[0] and name[0] != name[1] and row_id.isdigit():
            names = former.setdefault(int(row_id), [])
            if name[0] not in names:
                names.append(name[0])
    entries = sa.table("search_entries", sa.column("kind", sa.String), sa.column("row_id", sa.Integer),
                       sa.column("former_names", sa.Text), sa.column("text", sa.Text))
    for company_id, names in former.items():
        joined = "\n".join(names)
        conn.execute(entries.update().where(entries.c.kind == "company", entries.c.row_id == company_id)
                     .values(former_names=joined, text=entries.c.text + "\n" + joined))


def _fill_sort_keys() -> None:
    conn = op.get_bind()
    for table, person, source in SORTED:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(source, sa.String), sa.column("name_sort", sa.String))
        rows = conn.execute(sa.select(t.c.id, t.c[source])).all()
        for start in range(0, len(rows), 1000):
            chunk = [{"row": i, "key": sort_key(name, person=person)} for i, name in rows[start:start + 1000]]
            conn.execute(t.update().where(t.c.id == sa.bindparam("row")).values(name_sort=sa.bindparam("key")), chunk)


def upgrade():
    dialect = op.get_bind().dialect.name
    for table, _person, _source in SORTED:
        # Plain ADD COLUMN (no table copy on SQLite); the default fills existing rows with ''.
        op.add_column(table, sa.Column("name_sort", SORT_KEY, server_default="", nullable=False))
    _fill_sort_keys()
    op.create_index("ix_companies_name_sort", "companies", ["name_sort"])
    op.create_index("ix_contacts_company_name_sort", "contacts", ["company_id", "name_sort"])
    op.create_index("ix_associations_name_sort", "associations", ["name_sort"])
    op.create_index("ix_experts_name_sort", "experts", ["name_sort"])

    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("former_names", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("kind", "row_id", name=op.f("uq_search_entries_kind_row_id")),
    )
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        _fill_search(dialect)
        for statement in _postgres_triggers():
            op.execute(statement)
    else:
        _fill_search(dialect)
        for statement in _sqlite_triggers():
            op.execute(statement)
        op.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    tables = [table for table, _columns, _text in _sources(dialect).values()]
    if dialect == "postgresql":
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_sync ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS search_{table}_sync()")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_text_trgm")
        # pg_trgm stays: another database object may use it, and it holds no data.
    else:
        for table in tables:
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
        for suffix in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS search_entries_{suffix}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_entries")
    op.drop_index("ix_experts_name_sort", table_name="experts")
    op.drop_index("ix_associations_name_sort", table_name="associations")
    op.drop_index("ix_contacts_company_name_sort", table_name="contacts")
    op.drop_index("ix_companies_name_sort", table_name="companies")
    for table, _person, _source in SORTED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("name_sort")
