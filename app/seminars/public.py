from app.seminars import public_bp  # noqa: F401
