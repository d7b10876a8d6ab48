"""Serve Grove with gunicorn on a free loopback port, on a given database (for tests and benchmarks)."""
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, instance: Path, *, workers: int = 4, app: str = "wsgi:app",
             probe: str = "/login", extra_env: dict | None = None):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "GROVE_INSTANCE_PATH": str(instance),
           "SECRET_KEY": "gunicorn-test-secret", "RATELIMIT_SIGNUP_IP": "100000 per minute",
           "RATELIMIT_SIGNUP_EMAIL": "100 per minute", "RATELIMIT_PUBLIC": "100000 per minute", **(extra_env or {})}
    env.pop("MAIL_SERVER", None)
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn_bin), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--backlog", "2048",
                             "--timeout", "120", "--log-level", "warning", app], cwd=ROOT, env=env)
    try:
        # A loaded machine can take many seconds over a worker's first page (templates, catalogs).
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", probe)
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Visitor:
    """One person's browser: its own cookie and CSRF token, plain HTTP/1.1; from a loopback
    address of its own when `source` names one (127.0.0.0/8 is all loopback)."""

    def __init__(self, port: int, source: str | None = None):
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.token = ""

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items() if v)

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120,
                                          source_address=(self.source, 0) if self.source else None)
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _eq, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        conn.close()
        if match := CSRF.search(data):
            self.token = match.group(1) or match.group(2)
        return response.status, response.getheader("Location"), data
