"""What a lower domain's page shows of a higher domain's data, contributed by the higher domain.

A market's page lists seminars and visits, a company's page the seminars its people attended,
an expert's page the visits and talks they are booked for. The page's route asks
`panels.context("markets.detail", market=market)`; every domain with something to show there
registered a function for that page (`@panels.register("markets.detail")`) that returns the
context its fragment needs. The lower domain names no higher one, and its template includes
the fragments as before.
"""
from collections.abc import Callable

_CONTRIBUTORS: dict[str, list[Callable[..., dict]]] = {}


def register(page: str):
    """Decorate a function that returns extra context for `page` (an endpoint name)."""
    def decorator(fn: Callable[..., dict]) -> Callable[..., dict]:
        _CONTRIBUTORS.setdefault(page, []).append(fn)
        return fn
    return decorator


def context(page: str, **objects) -> dict:
    """The context every contributor gives `page`, called with the page's objects."""
    merged: dict = {}
    for fn in _CONTRIBUTORS.get(page, ()):
        merged.update(fn(**objects))
    return merged
