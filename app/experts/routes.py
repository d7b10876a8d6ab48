from app.experts import bp  # noqa: F401
