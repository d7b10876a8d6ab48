"""My account > API tokens: create, name and revoke through the page (whole page and htmx fragment);
the secret is shown once and stored hashed; revoked tokens and deactivated owners get a 401."""
import hashlib
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.api.models import ApiToken
from app.audit import AuditEntry
from app.extensions import db
from tests.conftest import assert_whole_page


def _secret(body: str) -> str:
    return re.search(r'>(grove_[A-Za-z0-9_-]+)</textarea>', body).group(1)


def test_my_account_links_to_the_tokens_page(client, login_as):
    login_as("rep")
    body = client.get("/account").get_data(as_text=True)
    assert 'href="/account/api-tokens/"' in body


def test_the_page_is_for_signed_in_people(client):
    response = client.get("/account/api-tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_shows_the_secret_once_and_stores_its_hash(client, login_as, api):
    user = login_as("rep")
    response = client.post("/account/api-tokens/", data={"name": "CRM sync"})
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    assert body.lstrip().lower().startswith("<!doctype html") and 'class="site-header' in body
    assert response.headers["Cache-Control"] == "no-store"
    secret = _secret(response.get_data(as_text=True))
    token = db.session.scalar(select(ApiToken))
    assert token.user_id == user.id and token.name == "CRM sync"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str([(c.name, getattr(token, c.key)) for c in ApiToken.__table__.columns])
    assert not db.session.scalar(select(AuditEntry).where(AuditEntry.changes.cast(db.String).contains(secret)))
    # Shown once: the page lists the token by its first characters only.
    page = client.get("/account/api-tokens/")
    assert_whole_page(page)
    page = page.get_data(as_text=True)
    assert secret not in page and "CRM sync" in page and token.prefix in page
    assert api.get("companies", secret).status_code == 200


def test_create_through_htmx_answers_the_fragment(client, login_as):
    login_as("rep")
    response = client.htmx("post", "/account/api-tokens/", target="api-tokens", data={"name": "报表"})
    body = response.get_data(as_text=True)
    assert response.status_code == 201 and "<html" not in body and 'id="api-tokens"' in body
    assert "HX-Request" in response.headers["Vary"] and response.headers["HX-Trigger"] == "apiTokensChanged"
    assert _secret(body) and "报表" in body


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_bad_name_is_refused_at_the_field(client, login_as, name):
    login_as("rep")
    response = client.htmx("post", "/account/api-tokens/", target="api-tokens", data={"name": name})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and "grove_" not in body
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("name", ["CRM\nsync", "CRM\r\nsync", "CRM\rsync", "CRM\x07", "CRM\tsync", "\u202eCRM",
                                  "CRM\u202a", "CRM\u2066sync\u2069", "\u2067x", "\u202dx"])
def test_a_name_with_control_or_direction_characters_is_refused(app, client, login_as, name):
    login_as("rep", locale="zh_Hans_CN")
    response = client.htmx("post", "/account/api-tokens/", target="api-tokens", data={"name": name})
    body = response.get_data(as_text=True)
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        expected = gettext("Use one line of plain text: no line breaks, control characters or text-direction marks.")
    assert response.status_code == 422 and 'aria-invalid="true"' in body and expected in body
    assert "grove_" not in body
    assert db.session.scalar(select(db.func.count()).select_from(ApiToken)) == 0


def test_a_name_in_chinese_with_punctuation_is_fine(client, login_as):
    login_as("rep")
    response = client.post("/account/api-tokens/", data={"name": "周报（BI）— “销售”"})
    assert response.status_code == 201
    assert db.session.scalar(select(ApiToken.name)) == "周报（BI）— “销售”"


def test_the_new_secret_has_a_copy_button_that_needs_script(client, login_as):
    login_as("rep")
    body = client.post("/account/api-tokens/", data={"name": "CRM sync"}).get_data(as_text=True)
    secret = _secret(body)
    assert re.search(r'<textarea id="new-token-secret" readonly[^>]*>' + secret, body)
    button = re.search(r'<button type="button"[^>]*data-copy="new-token-secret"[^>]*>', body, re.S).group(0)
    assert " hidden" in button  # shown by the script: without it, no button that does nothing
    assert '/static/js/copy-field.js' in body and "onclick" not in body


def test_the_revoke_confirm_quotes_the_name(client, login_as, token_for):
    user = login_as("rep")
    token_for(user, "CRM sync")
    body = client.get("/account/api-tokens/").get_data(as_text=True)
    assert 'hx-confirm="Revoke “CRM sync”? Systems that use it stop working at once."' in body


def test_the_message_is_in_the_persons_language(app, client, login_as):
    login_as("rep", locale="zh_Hans_CN")
    response = client.post("/account/api-tokens/", data={"name": ""})
    body = response.get_data(as_text=True)
    # As the compiled catalog reads (i18n/api.tsv holds the Chinese of this page's strings).
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        expected = gettext("Name the token, e.g. after the system that uses it.")
    assert response.status_code == 422 and '<html lang="zh-Hans" ' in body and expected in body


def test_revoke_stops_the_token_at_once(client, login_as, api):
    login_as("rep")
    secret = _secret(client.post("/account/api-tokens/", data={"name": "CRM"}).get_data(as_text=True))
    assert api.get("companies", secret).status_code == 200
    token = db.session.scalar(select(ApiToken))
    response = client.post(f"/account/api-tokens/{token.id}/revoke")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/api-tokens/")
    db.session.refresh(token)
    assert token.revoked_at is not None
    refused = api.get("companies", secret)
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_revoke_through_htmx_answers_the_fragment(client, login_as):
    login_as("rep")
    client.post("/account/api-tokens/", data={"name": "CRM"})
    token = db.session.scalar(select(ApiToken))
    response = client.htmx("post", f"/account/api-tokens/{token.id}/revoke", target="api-tokens")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "Revoked" in body
    assert response.headers["HX-Trigger"] == "apiTokensChanged"


def test_nobody_revokes_anothers_token(client, login_as, make_user, token_for):
    other = make_user("rep", "Wenzhou")
    token_for(other)
    token = db.session.scalar(select(ApiToken))
    login_as("manager", "Wenzhou")
    assert client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 404
    assert "CRM sync" not in client.get("/account/api-tokens/").get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is None


def test_a_deactivated_owners_token_stops_working(app, make_user, token_for, api):
    user = make_user("rep", "Wenzhou")
    secret = token_for(user)
    assert api.get("companies", secret).status_code == 200
    user.active = False
    db.session.commit()
    assert api.get("companies", secret).status_code == 401


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer grove_unknown",
                                    "Bearer " + "x" * 500])
def test_no_working_token_is_a_401_with_www_authenticate(app, api, header):
    response = api.get("companies", headers={"Authorization": header} if header is not None else None)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Grove API"')


def test_last_use_is_noted_without_an_audit_entry_per_request(app, make_user, token_for, api, clock):
    user = make_user("rep", "Wenzhou")
    secret = token_for(user)
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is None
    entries = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
    api.get("companies", secret)
    api.get("companies", secret)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == entries


def test_an_expert_may_keep_tokens(client, login_as):
    login_as("expert", "Wenzhou")
    assert client.post("/account/api-tokens/", data={"name": "日程"}).status_code == 201
