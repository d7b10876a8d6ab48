"""A worker's long-lived objects kept out of the garbage collector's full passes.

A full (generation 2) collection walks every object that may hold a reference cycle: at start-up
the app holds some 430,000 (pypinyin's phrase tables alone are 200,000 lists), and once its
caches are warm (compiled SQL, templates, catalogs) another 100,000 or more. Each full pass over
them took 100-200 ms inside whichever request triggered it: the slowest requests of every page.
`gc.freeze()` moves what exists into a generation the collector never walks; objects made later
are collected as before, and a frozen object is still freed when nothing refers to it.

With several threads a worker freezes while other requests may be under way: they wait for the
one collection (~100 ms, twice in a worker's life), and what they hold at that moment is frozen
too, so a reference cycle among it is never collected: a bounded leak of those few requests'
objects, twice per worker.
"""
import gc
import itertools

from flask import Flask

# Requests after which a worker's caches are warm enough to freeze again (once each).
WARM_AFTER = (200, 2000)


def freeze() -> None:
    """Collect what is garbage now, then freeze everything left."""
    gc.collect()
    gc.freeze()


def freeze_when_warm(app: Flask, after: tuple[int, ...] = WARM_AFTER) -> None:
    """Freeze once more after the worker has answered each of `after` requests, when the response
    has gone (the one collection costs that worker ~100 ms, once)."""
    served = itertools.count(1)
    marks = frozenset(after)

    @app.after_request
    def _freeze_when_warm(response):
        if next(served) in marks:
            response.call_on_close(freeze)
        return response
