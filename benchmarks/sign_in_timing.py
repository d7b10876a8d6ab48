"""Time wrong-password sign-ins for a known and an unknown address, with production scrypt settings.

    .venv/bin/python benchmarks/sign_in_timing.py [REPO]   # REPO: a Grove checkout, this one by default

The medians should be alike: a different time for unknown addresses tells which have accounts.
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.config import TestConfig
from app.extensions import db

ROUNDS = 30


class Timing(TestConfig):
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{tempfile.mkdtemp()}/timing.db"
    PASSWORD_HASH_METHOD = "scrypt"  # Werkzeug's production default
    WTF_CSRF_ENABLED = False


def median_ms(client, email: str) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.post("/login", data={"email": email, "password": "wrong password here"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 422, response.status_code
    return statistics.median(times)


def main() -> None:
    app = create_app(Timing)
    with app.app_context():
        db.create_all()
        from app.auth.services import create_user
        create_user(email="known@example.com", name="Known", role="rep", password="a long enough password",
                    regions=[])
        db.session.commit()
        client = app.test_client()
        median_ms(client, "known@example.com")  # warm up
        print(f"known address:   median {median_ms(client, 'known@example.com'):.1f} ms")
        print(f"unknown address: median {median_ms(client, 'nobody@example.com'):.1f} ms")


if __name__ == "__main__":
    main()
