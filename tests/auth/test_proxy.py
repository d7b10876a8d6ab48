"""Behind a reverse proxy the client's address comes from X-Forwarded-For, only when configured."""
from flask import request

from app import create_app
from app.config import TestConfig


def _seen_address(app, headers):
    @app.get("/_address")
    def address():
        return request.remote_addr or ""
    return app.test_client().get("/_address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"}).text


def test_forwarded_for_is_trusted_only_with_a_proxy_count(database_url):
    class Direct(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    class BehindOneProxy(Direct):
        PROXY_COUNT = 1

    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert _seen_address(create_app(Direct), headers) == "10.0.0.2"
    assert _seen_address(create_app(BehindOneProxy), headers) == "203.0.113.7"
