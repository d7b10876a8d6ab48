"""Cookie sessions keep one signing serializer per set of keys, and still follow a key change."""
from flask import Flask, session

from app.core.sessions import CookieSessions


def _app(secret: str, fallbacks=()) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=list(fallbacks))
    app.session_interface = CookieSessions()

    @app.get("/set")
    def set_():
        session["who"] = "visitor"
        return "ok"

    @app.get("/get")
    def get():
        return session.get("who", "nobody")

    return app


def test_one_serializer_per_set_of_keys():
    app = _app("first")
    sessions = app.session_interface
    assert sessions.get_signing_serializer(app) is sessions.get_signing_serializer(app)
    before = sessions.get_signing_serializer(app)
    app.secret_key = "second"
    assert sessions.get_signing_serializer(app) is not before
    app.secret_key = None
    assert sessions.get_signing_serializer(app) is None


def test_a_session_is_read_back_and_a_new_key_reads_it_only_as_a_fallback():
    app = _app("first")
    client = app.test_client()
    client.get("/set")
    assert client.get("/get").get_data(as_text=True) == "visitor"
    app.secret_key = "second"  # rotated without a fallback: the old cookie is not trusted
    assert client.get("/get").get_data(as_text=True) == "nobody"
    app.config["SECRET_KEY_FALLBACKS"] = ["first"]
    assert client.get("/get").get_data(as_text=True) == "visitor"
