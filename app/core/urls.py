"""Links that keep a page's filters: built from the arguments the page reads, nothing else."""
from flask import request, url_for


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
