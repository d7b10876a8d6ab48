"""Keeping key accounts: the routes live in one module per part, all on the one blueprint."""
