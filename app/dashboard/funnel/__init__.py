"""The breakthrough funnel of a market and of a region (DESIGN.md section 6)."""

from app.dashboard.funnel import routes  # noqa: F401  (registers the funnel pages on the dashboard blueprint)
