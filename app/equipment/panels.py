"""The machines a company's page shows (app/core/panels.py)."""
