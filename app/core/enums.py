"""Enumerations that carry their labels, and the lifecycles of records that have a status.

A member declares its label next to its value, translatable in both languages:

    class Tier(LabelledEnum):
        A = "A", _l("Tier A")

A record with a lifecycle declares, next to its status enum, which action moves it from which
statuses to which, and pages and services ask the record (`seminar.can("publish")`).
"""
import enum
from typing import ClassVar

from flask import abort


class LabelledEnum(str, enum.Enum):
    """A string enum (stored as its value) whose members carry a translatable label."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    def __str__(self) -> str:
        return self.value

    def __getattr__(self, name: str):
        # `visit.status.is_cancelled` for templates. Another name is an AttributeError, as libraries
        # probe attributes (SQLAlchemy's is_clause_element); tests/core/test_enums.py checks the
        # names templates use.
        if name.startswith("is_") and name[3:] in type(self)._value2member_map_:
            return self.value == name[3:]
        raise AttributeError(name)

    @property
    def label(self) -> str:
        if self._label is None:
            raise LookupError(f"{type(self).__name__}.{self.name} has no label")
        return str(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class Lifecycle:
    """The actions a status allows: each names the statuses it starts from and the one it leads to
    (None: the action keeps the status, e.g. renewing a membership adds a new term)."""

    def __init__(self, **actions: tuple):
        self.actions = {name: (frozenset(sources), target) for name, (sources, target) in actions.items()}

    def allows(self, status, action: str) -> bool:
        sources, _target = self.actions[action]  # an unknown action is a typo: KeyError
        return status in sources

    def target(self, action: str):
        return self.actions[action][1]

    def action_to(self, status, target) -> str | None:
        """The action that moves `status` to `target`, if one may."""
        return next((name for name, (sources, to) in self.actions.items() if to == target and status in sources),
                    None)

    def targets(self, status) -> list:
        """The statuses `status` may move to, each once, in the enum's order."""
        reachable = {to for sources, to in self.actions.values() if status in sources and to is not None}
        return [member for member in type(status) if member in reachable]


class HasLifecycle:
    """A model whose status (`status_attribute`) follows `lifecycle`."""

    lifecycle: ClassVar[Lifecycle]
    status_attribute: ClassVar[str] = "status"

    @property
    def _status(self):
        return getattr(self, self.status_attribute)

    def can(self, action: str) -> bool:
        return self.lifecycle.allows(self._status, action)

    def action_to(self, target) -> str | None:
        return self.lifecycle.action_to(self._status, target)

    def next_statuses(self) -> list:
        return self.lifecycle.targets(self._status)

    def require(self, action: str):
        """The status `action` leads to (None: unchanged); a status that does not allow it is refused (409)."""
        if not self.can(action):
            abort(409)
        return self.lifecycle.target(action)
