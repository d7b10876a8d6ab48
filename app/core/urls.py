"""Links: a page's own with its filters (built from the arguments the page reads, nothing else), and
one endpoint's for each of hundreds of rows."""
from collections.abc import Callable

from flask import request, url_for

# A number no id reaches, put where the id goes in a URL and then replaced (see `id_url`).
_ID_MARK = 2_147_483_647


def url_with(endpoint: str | None = None, /, **changes) -> str:
    """The URL of `endpoint` (default: this page) with this page's filters, some changed.

    Only the query arguments this request read (see `app.core.inputs.QueryArgs`) are kept:
    an argument a visitor made up (`?_method=POST`, `?market_id=1` on a page whose path names
    the market) is dropped, never passed to `url_for`. A change of None removes an argument.
    """
    endpoint = endpoint or request.endpoint
    values = dict(request.view_args or {}) if endpoint == request.endpoint else {}
    args = request.args
    for key in sorted(getattr(args, "read", ())):
        if key in values or key in changes or key.startswith("_") or key not in args:
            continue
        values[key] = args.getlist(key)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return url_for(endpoint, **values)


def id_url(endpoint: str, argument: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, argument=id)` for a list of hundreds of rows: the URL is built once and each
    row's id put in, instead of the URL map being walked for every row (a market's page links its
    600 targets, a busy week 480 visits)."""
    head, _, tail = url_for(endpoint, **{argument: _ID_MARK}, **values).partition(str(_ID_MARK))
    return lambda id_: f"{head}{int(id_)}{tail}"
