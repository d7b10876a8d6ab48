from app.seminars import bp  # noqa: F401
