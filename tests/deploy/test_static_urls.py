"""Static URLs carry a hash of their file's content, so nginx may let browsers keep them a year
(deploy/nginx/grove.conf): a changed file gets a new address."""
import hashlib
import re

from tests.deploy.hosts import ROOT


def test_every_static_url_names_its_files_content(client, login_as):
    login_as("rep")
    page = client.get("/account").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]+)"', page)
    assert {name.rsplit(".", 1)[1] for name, _v in urls} >= {"css", "js", "svg"}, urls
    assert not re.search(r'(?:href|src)="/static/[^"?]+"', page), "a static URL without its version"
    for name, version in urls:
        assert version == hashlib.sha256((ROOT / "static" / name).read_bytes()).hexdigest()[:12], name
        assert client.get(f"/static/{name}?v={version}").status_code == 200


def test_a_url_for_a_missing_file_has_no_version(app):
    from flask import url_for
    with app.test_request_context():
        assert url_for("static", filename="css/nothing-here.css") == "/static/css/nothing-here.css"
        assert url_for("static", filename="../app/config.py") == "/static/../app/config.py"
