"""Values read once per request: a second ask in the same request gets what the first read. A
commit forgets them all, since what the request wrote may change them; outside a request nothing is
kept."""
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_NAMES: set[str] = set()


class RequestMemo:
    """`memo.get(key, compute)`: compute() once per request and key (until a commit)."""

    def __init__(self, name: str):
        self.name = f"memo_{name}"
        _NAMES.add(self.name)

    def get(self, key, compute):
        if not has_request_context():
            return compute()
        known = g.setdefault(self.name, {})
        if key not in known:
            known[key] = compute()
        return known[key]


@event.listens_for(Session, "after_commit")
def _forget(session) -> None:
    if has_request_context():
        for name in _NAMES:
            g.pop(name, None)
