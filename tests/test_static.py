"""Vendored front-end files are the ones recorded, the layout configures htmx safely, and the CSP holds."""
import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"


def _recorded() -> list[tuple[str, str]]:
    rows = []
    for line in (VENDOR / "VENDORED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"[0-9a-f]{64}", cells[3]):
            rows.append((cells[2], cells[3]))
    return rows


def test_vendored_md_lists_files():
    recorded = dict(_recorded())
    assert any(path.startswith("htmx-2.0.") for path in recorded)
    assert len(recorded) >= 2


@pytest.mark.parametrize("path, sha256", _recorded())
def test_vendored_file_matches_its_recorded_hash(path, sha256):
    assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == sha256


def test_every_vendored_script_and_stylesheet_is_recorded():
    recorded = {path for path, _sha in _recorded()}
    files = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.suffix in (".js", ".css")}
    assert files <= recorded, f"vendored but not recorded in VENDORED.md: {sorted(files - recorded)}"


def _layout(client, login_as) -> str:
    login_as("rep")
    return client.get("/companies/").get_data(as_text=True)


def test_htmx_config_turns_off_eval_script_tags_and_history_cache(client, login_as):
    page = _layout(client, login_as)
    match = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", page)
    assert match, "base.html lost its htmx-config meta"
    config = json.loads(match.group(1))
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0


def test_body_sends_the_csrf_token_with_every_htmx_request(client, login_as):
    page = _layout(client, login_as)
    match = re.search(r"""<body[^>]*hx-headers='([^']+)'""", page)
    assert match
    token = json.loads(match.group(1))["X-CSRFToken"]
    assert len(token) > 20


def test_htmx_is_served_from_our_own_static_folder(client, login_as):
    page = _layout(client, login_as)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline scripts are blocked by the CSP"
    assert 'style="' not in page
    (htmx,) = [src for src in scripts if "/htmx" in src]
    response = client.get(htmx)
    assert response.status_code == 200 and b"htmx" in response.data
    response.close()


@pytest.mark.parametrize("url", ["/login", "/companies/", "/healthz", "/no-such-page"])
def test_responses_carry_a_csp_without_unsafe_eval(client, login_as, url):
    if url == "/companies/":
        login_as("rep")
    csp = client.get(url).headers["Content-Security-Policy"]
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "frame-ancestors" in directives


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
