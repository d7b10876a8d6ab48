"""The one place that knows htmx headers.

A request gets a fragment only when htmx swaps part of a page: it names the element it
swaps (`HX-Target`, the id htmx sends for the target), and that element is one the route
answers for. Everything else gets the whole page with the site header: a plain request,
a boosted link or form, a history restore, and the GET that htmx makes for `HX-Location`
(its target is the `<body>`, which has no id, so it sends no `HX-Target`).
"""
from flask import make_response, render_template, request

from app.extensions import htmx


def is_htmx() -> bool:
    """True for a request htmx makes on its own (not a boosted navigation)."""
    return bool(htmx) and not htmx.boosted


def wants_fragment(targets: tuple[str, ...] | str | None = None) -> bool:
    """True when htmx swaps one element of the page, and (if given) it is one of `targets`."""
    if not is_htmx() or htmx.history_restore_request or not htmx.target:
        return False
    if targets is None:
        return True
    return htmx.target in ((targets,) if isinstance(targets, str) else targets)


def render(page: str, fragment: str | None = None, /, *, trigger: str | None = None,
           status: int = 200, retarget: str | None = None, target: tuple[str, ...] | str | None = None,
           **context):
    """Render the fragment for htmx swaps and the whole page otherwise, always with Vary.

    `target` names the element ids the fragment fills, when the route knows them; a request
    that targets another element gets the whole page. `retarget` swaps the fragment into
    another element (outerHTML), e.g. a form that comes back with errors when success would
    have replaced the list around it.
    """
    fragment_wanted = bool(fragment) and wants_fragment(target)
    response = make_response(render_template(fragment if fragment_wanted else page, **context), status)
    response.headers["Vary"] = "HX-Request, HX-Target"
    if trigger:
        response.headers["HX-Trigger"] = trigger
    if retarget and fragment_wanted:
        response.headers["HX-Retarget"] = retarget
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def invalid(page: str, fragment: str | None = None, /, **context):
    """A form that a POST sent back with its messages at the fields: 422 (the same form on GET: 200)."""
    return render(page, fragment, status=422 if request.method == "POST" else 200, **context)


def redirect_after_write(url: str, *, trigger: str | None = None):
    """Send the browser on: 303 for plain requests; for htmx, HX-Location loads the page in place."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Location"] = url
    else:
        response = make_response("", 303)
        response.headers["Location"] = url
    response.headers["Vary"] = "HX-Request, HX-Target"
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


def swap_or_redirect(url: str, page: str, fragment: str, /, *, trigger: str | None = None, **context):
    """After a write: the updated fragment (with its event) for htmx, a 303 to `url` for a plain form."""
    if wants_fragment():
        return render(page, fragment, trigger=trigger, **context)
    return redirect_after_write(url)


def current_url() -> str:
    """The URL the browser shows, which for htmx requests is in HX-Current-URL."""
    return htmx.current_url or request.url
