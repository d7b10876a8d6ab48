"""Orders, the stage and tier they move, key-account proposals and the orders export: routes on
the key-accounts blueprint, and what orders add to the company and market pages."""
from app.keyaccounts.orders import panels, routes  # noqa: F401
