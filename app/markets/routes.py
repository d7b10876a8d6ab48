from app.markets import bp  # noqa: F401
