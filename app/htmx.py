"""The one place that knows htmx headers."""
from flask import make_response, render_template, request

from app.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page (not boosted, not a history restore)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, /, *, trigger: str | None = None,
           status: int = 200, retarget: str | None = None, **context):
    """Render the fragment for htmx swaps and the whole page otherwise, always with Vary.

    `retarget` swaps the fragment into another element (outerHTML), e.g. a form that
    comes back with errors when success would have replaced the list around it.
    """
    fragment_wanted = bool(fragment) and wants_fragment()
    response = make_response(render_template(fragment if fragment_wanted else page, **context), status)
    response.headers["Vary"] = "HX-Request"
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
    """303 for plain forms; for htmx, HX-Location keeps the swap in place of a full reload."""
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Location"] = url
    else:
        response = make_response("", 303)
        response.headers["Location"] = url
    response.headers["Vary"] = "HX-Request"
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
