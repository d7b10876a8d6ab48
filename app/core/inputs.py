"""Input hygiene shared by every route: what no page may pass on to the database.

- An id in a URL (`<int:...>`) beyond the range of the id columns is a 404, not an overflow.
- An integer query or form argument read with `type=int` beyond that range counts as junk
  (the default), as a non-numeric one already does.
- NUL characters: PostgreSQL text cannot hold them and no browser form sends them. In a query
  string (read-only filters) they are dropped, and the page validates what remains; in the path
  or a form they are refused (400).
"""
from flask import Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

# Ids are 32-bit INTEGER columns on PostgreSQL; SQLite takes 64 bits, Python ints are unbounded.
MAX_ID = 2**31 - 1


def in_range(value) -> bool:
    return isinstance(value, int) and -MAX_ID <= value <= MAX_ID


def as_id(text) -> int | None:
    """A row id written in a form or query value: ASCII digits that an id column can hold, else
    None (`str.isdigit()` also takes "¹" or "٣", which `int()` then refuses or reads otherwise)."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:...>` for every route: a number beyond any row's id does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedMultiDict(ImmutableMultiDict):
    """`args.get(name, type=int)` gives the default for a number no column can hold."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default, type)
        if type is int and value is not default and not in_range(value):
            return default
        return value


class QueryArgs(BoundedMultiDict):
    """The query string, remembering which arguments the page read: those it accepts.

    Links that keep a page's filters (`app.core.urls.url_with`) carry these and nothing
    else, so what a visitor adds to a query string never reaches `url_for` as a keyword.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None, type=None):
        self.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


class GroveRequest(Request):
    parameter_storage_class = BoundedMultiDict

    @cached_property
    def args(self) -> QueryArgs:
        """The query string, NUL characters dropped."""
        return QueryArgs(
            (key.replace("\x00", ""), value.replace("\x00", ""))
            for key, value in Request.args.fget(self).items(multi=True))


def refuse_nul_bytes() -> None:
    """Before each request: a NUL character in the path or a form is a 400."""
    values = list((request.view_args or {}).values())
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        values += [v for _key, v in request.form.items(multi=True)]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        abort(400)
