"""Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

Flask makes a new `URLSafeTimedSerializer` each time it opens and each time it saves a session,
twice a request; on the public sign-up page, which starts a session for every new visitor (the
CSRF token), that was a twentieth of the page's CPU. The serializer holds only the keys, the
salt and its settings, and signs and reads with a new signer each call, so one can serve every
request and thread. A change of SECRET_KEY or SECRET_KEY_FALLBACKS makes a new one.
"""
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer
