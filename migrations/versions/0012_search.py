"""Search from the header and names sorted by pinyin

Revision ID: 0012_search
Revises: 0011_notifications

- `name_sort` (pinyin sort key, app/core/pinyin.py) on companies, contacts, associations and
  experts, filled for the rows there are, indexed.
- `search_entries`, one row per company, contact, seminar and association with its region, its
  name and second name (short name, phone digits, venue), sort key, the text the header search
  matches and the one- and two-character grams of its names; kept current by triggers on those
  tables (so bulk inserts and any other writer keep it too), filled for the rows there are; a
  company's former names come from the renames in the audit trail.
- SQLite: the FTS5 tables `search_fts` (trigram tokenizer on the text) and `search_grams` (the
  grams as words), external content `search_entries`, with their triggers. PostgreSQL: the
  `pg_trgm` extension, a GIN trigram index on the text and a GIN index on the grams.
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
GRAM_CHARS = 40  # the first 40 characters of a name are indexed by one and two characters


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


def _grams(parts: list[str], dialect: str) -> str:
    """Every character and pair of characters of the names, lower case, separated by spaces: what a
    query of one or two characters looks up (a trigram index has nothing for it)."""
    if dialect == "postgresql":
        return " || ' ' || ".join(
            f"array_to_string(ARRAY(SELECT DISTINCT substr(lower(coalesce({p}, '')), i, n) FROM generate_series(1, "
            f"least(length(coalesce({p}, '')), {GRAM_CHARS})) i CROSS JOIN (VALUES (1), (2)) v(n)), ' ')"
            for p in parts)
    grams = []
    for p in parts:
        lowered = f"lower(coalesce({p}, ''))"
        grams += [f"substr({lowered}, {i}, {n})" for i in range(1, GRAM_CHARS + 1) for n in (1, 2)]
    return " || ' ' || ".join(grams)


class Source:
    """How one kind of record is written into search_entries, as SQL on a row `r`."""

    def __init__(self, kind, table, watched, title, alt, sort, region, text, grams):
        self.kind, self.table, self.watched = kind, table, watched
        self._columns = dict(title=title, alt=alt, sort=sort, region_id=region, text=text, grams=grams)

    def values(self, r: str) -> dict[str, str]:
        return {name: make(r) for name, make in self._columns.items()}


def _sources(dialect: str) -> list[Source]:
    def j(*parts):
        return lambda r: _join([p.format(r=r) for p in parts], dialect)

    def g(*parts):
        return lambda r: _grams([p.format(r=r) for p in parts], dialect)
    return [
        Source("company", "companies", ("name", "short_name", "name_sort", "region_id"),
               title=lambda r: f"{r}.name", alt=lambda r: f"{r}.short_name", sort=lambda r: f"{r}.name_sort",
               region=lambda r: f"{r}.region_id", text=j("{r}.name", "{r}.short_name"),
               grams=g("{r}.name", "{r}.short_name")),
        Source("contact", "contacts", ("name", "phone", "email", "name_sort", "company_id"),
               title=lambda r: f"{r}.name", alt=lambda r: _digits(f"{r}.phone", dialect),
               sort=lambda r: f"{r}.name_sort",
               region=lambda r: f"(SELECT c.region_id FROM companies c WHERE c.id = {r}.company_id)",
               text=lambda r: _join([f"{r}.name", _digits(f"{r}.phone", dialect), f"lower({r}.email)"], dialect),
               grams=g("{r}.name")),
        Source("seminar", "seminars", ("title", "venue", "region_id"),
               title=lambda r: f"{r}.title", alt=lambda r: f"{r}.venue", sort=lambda r: "''",
               region=lambda r: f"{r}.region_id", text=j("{r}.title", "{r}.venue"), grams=g("{r}.title", "{r}.venue")),
        Source("association", "associations", ("name", "name_sort", "region_id"),
               title=lambda r: f"{r}.name", alt=lambda r: "''", sort=lambda r: f"{r}.name_sort",
               region=lambda r: f"{r}.region_id", text=j("{r}.name"), grams=g("{r}.name")),
    ]


COLUMNS = ("title", "alt", "sort", "region_id", "text", "grams")


def _insert(source: Source, r: str, conflict: str) -> str:
    values = source.values(r)
    return (f"INSERT INTO search_entries (kind, row_id, former_names, {', '.join(COLUMNS)}) "
            f"VALUES ('{source.kind}', {r}.id, '', {', '.join(values[c] for c in COLUMNS)}) "
            f"ON CONFLICT (kind, row_id) DO UPDATE SET former_names = '', "
            + ", ".join(f"{c} = {conflict}.{c}" for c in COLUMNS))


def _update(source: Source, r: str, dialect: str) -> str:
    """The statements an update of a watched column runs (a company's old name joins its former names)."""
    values = source.values(r)
    old = "old" if dialect == "sqlite" else "OLD"
    nl = NL[dialect]
    statements = []
    if source.kind == "company":
        found = ("instr(char(10) || former_names || char(10), char(10) || old.name || char(10)) = 0"
                 if dialect == "sqlite"
                 else f"position({nl} || OLD.name || {nl} in {nl} || former_names || {nl}) = 0")
        statements.append(
            f"UPDATE search_entries SET former_names = ltrim(former_names || {nl} || {old}.name, {nl}) "
            f"WHERE kind = 'company' AND row_id = {r}.id AND {old}.name <> {r}.name AND {found}")
        values["text"] = f"{values['text']} || {nl} || former_names"
        # The contacts' entries carry their company's region.
        statements.append(
            f"UPDATE search_entries SET region_id = {r}.region_id "
            f"WHERE kind = 'contact' AND {old}.region_id <> {r}.region_id "
            f"AND row_id IN (SELECT id FROM contacts WHERE company_id = {r}.id)")
    statements.append(f"UPDATE search_entries SET {', '.join(f'{c} = {values[c]}' for c in COLUMNS)} "
                      f"WHERE kind = '{source.kind}' AND row_id = {r}.id")
    return ";\n".join(statements) + ";"


def _sqlite_triggers() -> list[str]:
    statements = []
    for source in _sources("sqlite"):
        table = source.table
        statements += [
            f"CREATE TRIGGER search_{table}_ai AFTER INSERT ON {table} BEGIN {_insert(source, 'new', 'excluded')}; END",
            f"CREATE TRIGGER search_{table}_au AFTER UPDATE OF {', '.join(source.watched)} ON {table} "
            f"BEGIN {_update(source, 'new', 'sqlite')} END",
            f"CREATE TRIGGER search_{table}_ad AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM search_entries WHERE kind = '{source.kind}' AND row_id = old.id; END",
        ]
    # Two FTS5 tables read search_entries (external content) and are told of each change: trigrams
    # of the text, and the one- and two-character grams as words.
    statements += [
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_entries', content_rowid='id', "
        "tokenize='trigram')",
        "CREATE VIRTUAL TABLE search_grams USING fts5(grams, content='search_entries', content_rowid='id', "
        "tokenize='unicode61', detail='none')",
        """CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
             INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
             INSERT INTO search_grams (rowid, grams) VALUES (new.id, new.grams);
           END""",
        """CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
             INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
             INSERT INTO search_grams (search_grams, rowid, grams) VALUES ('delete', old.id, old.grams);
           END""",
        """CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
             INSERT INTO search_fts (search_fts, rowid, text) VALUES ('delete', old.id, old.text);
             INSERT INTO search_grams (search_grams, rowid, grams) VALUES ('delete', old.id, old.grams);
             INSERT INTO search_fts (rowid, text) VALUES (new.id, new.text);
             INSERT INTO search_grams (rowid, grams) VALUES (new.id, new.grams);
           END""",
    ]
    return statements


def _postgres_triggers() -> list[str]:
    statements = []
    for source in _sources("postgresql"):
        table = source.table
        statements.append(f"""
            CREATE FUNCTION search_{table}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                DELETE FROM search_entries WHERE kind = '{source.kind}' AND row_id = OLD.id;
                RETURN OLD;
              ELSIF TG_OP = 'INSERT' THEN
                {_insert(source, 'NEW', 'EXCLUDED')};
              ELSE
                {_update(source, 'NEW', 'postgresql')}
              END IF;
              RETURN NEW;
            END $$""")
        statements.append(f"""
            CREATE TRIGGER search_{table}_sync
            AFTER INSERT OR DELETE OR UPDATE OF {', '.join(source.watched)} ON {table}
            FOR EACH ROW EXECUTE FUNCTION search_{table}_sync()""")
    # fastupdate off: each write goes into the index itself, not a pending list that every search
    # would read (and the planner would price) until a VACUUM merges it, after a directory import too.
    statements += [
        "CREATE INDEX ix_search_entries_text_trgm ON search_entries USING gin (text gin_trgm_ops) "
        "WITH (fastupdate = off)",
        "CREATE INDEX ix_search_entries_grams ON search_entries USING gin (string_to_array(grams, ' ')) "
        "WITH (fastupdate = off)",
    ]
    return statements


def _fill_search(dialect: str) -> None:
    for source in _sources(dialect):
        values = source.values("r")
        op.execute(f"INSERT INTO search_entries (kind, row_id, former_names, {', '.join(COLUMNS)}) "
                   f"SELECT '{source.kind}', r.id, '', {', '.join(values[c] for c in COLUMNS)} FROM {source.table} r")
    # Former names: each rename the audit trail recorded (changes {"name": [old, new]}), oldest first.
    conn = op.get_bind()
    audit = sa.table("audit_entries", sa.column("id", sa.Integer), sa.column("table_name", sa.String),
                     sa.column("action", sa.String), sa.column("row_id", sa.String), sa.column("changes", sa.JSON))
    former: dict[int, list[str]] = {}
    rows = conn.execute(sa.select(audit.c.row_id, audit.c.changes)
                        .where(audit.c.table_name == "companies", audit.c.action == "update").order_by(audit.c.id))
    for row_id, changes in rows:
        name = changes.get("name") if isinstance(changes, dict) else None
        if isinstance(name, list) and len(name) == 2 and name[0] and name[0] != name[1] and str(row_id).isdigit():
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
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(source, sa.String),
                     sa.column("name_sort", sa.String))
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
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), server_default="", nullable=False),
        sa.Column("alt", sa.Text(), server_default="", nullable=False),
        sa.Column("sort", SORT_KEY, server_default="", nullable=False),
        sa.Column("former_names", sa.Text(), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("grams", sa.Text(), server_default="", nullable=False),
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
        op.execute("INSERT INTO search_grams (search_grams) VALUES ('rebuild')")


def downgrade():
    dialect = op.get_bind().dialect.name
    tables = [source.table for source in _sources(dialect)]
    if dialect == "postgresql":
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_sync ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS search_{table}_sync()")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_text_trgm")
        op.execute("DROP INDEX IF EXISTS ix_search_entries_grams")
        # pg_trgm stays: another database object may use it, and it holds no data.
    else:
        for table in tables:
            for suffix in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{suffix}")
        for suffix in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS search_entries_{suffix}")
        op.execute("DROP TABLE IF EXISTS search_fts")
        op.execute("DROP TABLE IF EXISTS search_grams")
    op.drop_table("search_entries")
    op.drop_index("ix_experts_name_sort", table_name="experts")
    op.drop_index("ix_associations_name_sort", table_name="associations")
    op.drop_index("ix_contacts_company_name_sort", table_name="contacts")
    op.drop_index("ix_companies_name_sort", table_name="companies")
    for table, _person, _source in SORTED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("name_sort")
