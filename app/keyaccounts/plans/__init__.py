"""Account plans: a key account's year of objectives, team and allotment against actual, and the
whitespace grid of its plants and workshops against our product lines (DESIGN.md section 6)."""
from app.keyaccounts.plans import panels, routes  # noqa: F401  (routes on the keyaccounts blueprint)
