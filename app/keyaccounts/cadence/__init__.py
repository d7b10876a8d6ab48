"""Cadence: the key-account rules of a region (the longest gaps per tier and line, the targets'
gap, the thresholds), the attention-due list, and what the company page and the companies list
show of an account's care."""
from app.keyaccounts.cadence import panels, routes  # noqa: F401  (they register on the blueprint and the panels)
