"""The three-line map of a key account, touches and ties from it, and the region's gaps (DESIGN.md section 6).

Its routes sit on the key-accounts blueprint; its panel puts the map on the company page."""
from app.keyaccounts.coverage import panels, routes  # noqa: F401
