"""Configuration, driven by environment variables."""
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path

import app.core.ratelimit_storage  # noqa: F401  (registers the grove+sqlite:// rate-limit storage)

INSTANCE_DIR = Path(os.environ.get("GROVE_INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        _private_file(path).write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _private_folder(path: Path) -> Path:
    """Make (or tighten) a folder only its owner can enter: 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def _private_file(path: Path) -> Path:
    """Create a file only its owner can read (0600) before anything writes to it.

    SQLite gives its -wal and -shm files the mode of the database file, so a database created
    here stays private with them.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


def _private_sqlite_files(*urls: str) -> None:
    for url in urls:
        for prefix in ("sqlite:///", "grove+sqlite:///"):
            if url.startswith(prefix) and (name := url[len(prefix):].split("?", 1)[0]) not in ("", ":memory:"):
                path = Path(name)
                path.parent.mkdir(parents=True, exist_ok=True)
                _private_file(path)


def _seconds(name: str, default: str, most: float) -> float:
    """A number of seconds from the environment, 0 to `most` (what is not a number: the default)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        value = float(default)
    return min(max(value, 0.0), most) if math.isfinite(value) else float(default)


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'grove.db'}"
    # Heroku-style URLs name the old driver; Grove uses psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = None  # filled in by create_app so tests never touch the instance folder
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    TIMEZONE = os.environ.get("GROVE_TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en", "zh_Hans_CN"]
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    # "Keep me signed in": Secure exactly when the session cookie is (see resolve), 30 days at most.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # A signed-in session unused this long signs in again (0 turns the timeout off).
    IDLE_TIMEOUT = timedelta(hours=float(os.environ.get("GROVE_IDLE_TIMEOUT_HOURS", "12")))
    # Strict-Transport-Security for deployments served only over HTTPS.
    HSTS = os.environ.get("GROVE_HSTS", "0") == "1"
    HSTS_MAX_AGE = int(os.environ.get("GROVE_HSTS_MAX_AGE", str(365 * 24 * 3600)))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "grove@localhost")
    # Where Grove is served (e.g. https://grove.example.com): links in e-mail written by a job, not a request.
    BASE_URL = os.environ.get("GROVE_BASE_URL", "").rstrip("/")
    # Shared by every gunicorn worker: Redis when configured, else a small SQLite file in the instance folder.
    RATELIMIT_STORAGE_URI = (os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
                             or f"grove+sqlite:///{INSTANCE_DIR / 'ratelimits.sqlite'}")
    RATELIMIT_SIGNUP_IP = os.environ.get("RATELIMIT_SIGNUP_IP", "20 per minute;200 per day")
    RATELIMIT_SIGNUP_EMAIL = os.environ.get("RATELIMIT_SIGNUP_EMAIL", "5 per hour")
    RATELIMIT_PUBLIC = os.environ.get("RATELIMIT_PUBLIC", "30 per minute")
    # Seconds a worker answers a seminar's public page from what it last read of it (seats left
    # included); its own writes forget it at once. 0 reads the database for every page; at most 10.
    PUBLIC_PAGE_MAX_AGE = _seconds("GROVE_PUBLIC_PAGE_MAX_AGE", "1", most=10)
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "120 per minute;5000 per hour")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    # Failed sign-ins per account, from any address; a fixed window, so the real user waits
    # at most its length however long someone else keeps guessing.
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "8 per 5 minutes")
    PAGE_SIZE = 25
    # How long an e-mailed link works: a password reset, an invitation to choose one.
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    INVITATION_MAX_AGE = timedelta(days=7)
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "5 per hour")
    # How many reverse proxies (nginx, Caddy) stand in front of Grove; their X-Forwarded-For
    # then names the client, so rate limits count visitors, not the proxy.
    PROXY_COUNT = int(os.environ.get("GROVE_PROXY_COUNT", "0"))
    # Uploads (member directories) larger than this are refused with a 413 page.
    MAX_CONTENT_LENGTH = int(os.environ.get("GROVE_MAX_UPLOAD_MB", "20")) * 1024 * 1024
    PASSWORD_HASH_METHOD = "scrypt"

    @classmethod
    def resolve(cls) -> dict:
        # The default database, the generated key and the rate-limit file all live in the
        # instance folder, whichever of them the environment sets.
        # Everything there is readable by Grove's user only: 0700 folder, 0600 files.
        if not getattr(cls, "TESTING", False):
            _private_folder(INSTANCE_DIR)
        resolved = {
            "SECRET_KEY": cls.SECRET_KEY or _secret_key(),
            "SQLALCHEMY_DATABASE_URI": cls.SQLALCHEMY_DATABASE_URI or _database_url(),
            "REMEMBER_COOKIE_SECURE": cls.SESSION_COOKIE_SECURE,
        }
        if not getattr(cls, "TESTING", False):
            _private_sqlite_files(resolved["SQLALCHEMY_DATABASE_URI"], cls.RATELIMIT_STORAGE_URI)
        return resolved


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Cheap hashes keep the suite fast; production keeps Werkzeug's scrypt defaults.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
