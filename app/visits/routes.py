from app.visits import bp  # noqa: F401
