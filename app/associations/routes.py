from app.associations import bp  # noqa: F401
