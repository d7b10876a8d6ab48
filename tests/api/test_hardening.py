"""What an outside tester found: answers under /api/v1 that were not JSON or set a cookie, OPTIONS
that listed write methods, cursors that worked for another person, seminar or filters, whole
numbers in odd spellings, NUL characters, and a deactivated user's tokens that came back."""
import pytest

from app.api.models import ApiToken
from app.auth import services as auth
from app.extensions import db
from tests.api.conftest import list_path


@pytest.fixture
def token(world, token_for):
    return token_for(world["Wenzhou"]["owner"])


def _json_without_cookie(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json and response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    return response.get_json()


@pytest.mark.parametrize("path", ["/api/v1/companies", "/api/v1/openapi.json",
                                  "/api/v1/seminars/1/registrations"])
def test_options_is_a_json_405_that_allows_only_reading(world, api, token, path):
    response = api.open(path, "OPTIONS", token)
    assert _json_without_cookie(response, 405)["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "MKCOL", "CONNECT"])
@pytest.mark.parametrize("with_token", [True, False])
def test_any_other_method_is_a_json_405_without_a_cookie(world, api, token, method, with_token):
    response = api.open("/api/v1/companies", method, token if with_token else None)
    assert _json_without_cookie(response, 405)["error"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET, HEAD" and response.headers["Cache-Control"] == "no-store"
    # On a path the API lacks, as for GET: a 404.
    assert _json_without_cookie(api.open("/api/v1/nothing", method), 404)["error"] == "not_found"


@pytest.mark.parametrize("path,location", [("/api/v1", "/api/v1/"), ("/api/v1//companies", "/api/v1/companies")])
def test_a_mended_path_is_a_json_redirect_without_a_cookie(world, api, token, path, location):
    response = api.open(path, "GET", token)
    assert _json_without_cookie(response, 308)["error"] == "moved"
    assert response.headers["Location"].endswith(location)


def test_no_answer_sets_a_cookie(world, api, token, client, login_as):
    _json_without_cookie(api.get("companies", token), 200)
    _json_without_cookie(api.get("companies", token, limit="x"), 400)
    _json_without_cookie(api.get("companies", "grove_nope"), 401)
    _json_without_cookie(api.get("companies"), 401)
    _json_without_cookie(api.get("nothing", token), 404)
    _json_without_cookie(api.open("/api/v1/companies", "POST"), 405)
    # A browser with a session: the API neither renews nor sets its cookie.
    login_as("rep", "Wenzhou")
    for response in (client.get("/api/v1/companies"), client.open("/api/v1/companies", method="TRACE"),
                     client.get("/api/v1")):
        assert response.is_json and "Set-Cookie" not in response.headers


# ---- cursors


def test_a_cursor_is_bound_to_its_owner(world, api, token_for, make_user):
    rep = world["Wenzhou"]["owner"]
    colleague = make_user("rep", "Wenzhou")
    mine = api.get("companies", token_for(rep), limit=1).get_json()["next_cursor"]
    # The same list, the same region: still not the colleague's walk.
    body = _json_without_cookie(api.get("companies", token_for(colleague), limit=1, cursor=mine), 400)
    assert list(body["fields"]) == ["cursor"]
    # The owner's other token continues the walk.
    assert api.get("companies", token_for(rep, "BI"), limit=1, cursor=mine).status_code == 200


def test_a_registrations_cursor_is_bound_to_its_seminar(world, api, make_user, token_for, make_company):
    from tests.api.conftest import _fill_region
    manager = make_user("manager", "Wenzhou")
    token = token_for(manager)
    first = world["Wenzhou"]["seminar"]
    second_seminar = type(first)(title="第二讲", region=first.region, capacity=5, status=first.status,
                                 slug="s-second", starts_at=first.starts_at, ends_at=first.ends_at,
                                 venue="v", address="a", abstract="")
    db.session.add(second_seminar)
    db.session.commit()
    cursor = api.get(list_path("registrations", world["Wenzhou"]), token, limit=1).get_json()["next_cursor"]
    assert cursor
    body = _json_without_cookie(api.get(f"seminars/{second_seminar.id}/registrations", token, cursor=cursor), 400)
    assert list(body["fields"]) == ["cursor"]


@pytest.mark.parametrize("first,then", [({}, {"stage": "target"}), ({"stage": "target"}, {}),
                                        ({"owner": "me"}, {"q": "客户"})])
def test_a_cursor_is_bound_to_its_filters(world, api, token, first, then):
    cursor = api.get("companies", token, limit=1, **first).get_json()["next_cursor"]
    assert cursor
    assert _json_without_cookie(api.get("companies", token, cursor=cursor, **then), 400)["fields"].keys() == {"cursor"}
    # The page size may change along a walk.
    assert api.get("companies", token, cursor=cursor, limit=50, **first).status_code == 200


# ---- whole numbers and text


@pytest.mark.parametrize("name,value", [
    ("company", "１"), ("company", "١"), ("company", "1_0"), ("company", " 1 "), ("company", "1\r\n"),
    ("company", "+1"), ("company", "0x1"), ("limit", "１０"), ("limit", "10\n"), ("level", "２"),
    ("user", "٣"), ("market", "1 "),
])
def test_whole_numbers_are_ascii_digits_only(world, api, token, name, value):
    path = "visits" if name in ("level", "user", "market") else "contacts" if name == "company" else "companies"
    body = _json_without_cookie(api.get(path, token, **{name: value}), 400)
    assert list(body["fields"]) == [name]


@pytest.mark.parametrize("value", ["3\n", "3%0a", " 3", "３", "me\n"])
def test_owner_is_me_or_ascii_digits(world, api, token, value):
    body = _json_without_cookie(api.get("companies", token, owner=value.replace("%0a", "\n")), 400)
    assert list(body["fields"]) == ["owner"]


def test_plain_whole_numbers_still_filter(world, api, token):
    company = world["Wenzhou"]["companies"][0]
    rows = api.get("contacts", token, company=str(company.id), limit="10").get_json()["data"]
    assert {r["company"]["id"] for r in rows} == {company.id}
    assert api.get("visits", token, level="1").status_code == 200


def test_a_nul_in_text_is_refused_naming_the_filter(world, api, token):
    response = api.open("/api/v1/companies?q=a%00b", "GET", token)
    assert list(_json_without_cookie(response, 400)["fields"]) == ["q"]
    response = api.open("/api/v1/machines?q=%0d%0a", "GET", token)
    assert list(_json_without_cookie(response, 400)["fields"]) == ["q"]


@pytest.mark.parametrize("query,name", [("%00=1", "\\x00"), ("a%00b=1", "a\\x00b"), ("%07", "\\x07")])
def test_a_parameter_named_by_a_control_character_is_named_readably(world, api, token, query, name):
    response = api.open(f"/api/v1/companies?{query}", "GET", token)
    assert list(_json_without_cookie(response, 400)["fields"]) == [name]


def test_the_document_lists_every_answer(world, api):
    document = api.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        answers = operations["get"]["responses"]
        assert {"200", "400", "401", "404", "405", "429"} <= answers.keys(), path
        assert "Retry-After" in answers["429"]["headers"] and "Allow" in answers["405"]["headers"]


# ---- tokens of a deactivated user


def test_deactivating_a_user_revokes_their_tokens_for_good(world, api, token_for):
    rep = world["Wenzhou"]["owner"]
    secrets = [token_for(rep, "CRM"), token_for(rep, "BI")]
    auth.deactivate_user(rep)
    db.session.commit()
    assert all(t.revoked_at is not None for t in db.session.query(ApiToken).filter_by(user_id=rep.id))
    auth.reactivate_user(rep)
    db.session.commit()
    for secret in secrets:
        assert api.get("companies", secret).status_code == 401
    # A new token works.
    assert api.get("companies", token_for(rep, "new")).status_code == 200


def test_deactivating_through_the_admin_page_revokes_tokens(world, client, login_as, token_for):
    rep = world["Wenzhou"]["owner"]
    token_for(rep)
    login_as("admin", None)
    response = client.post(f"/admin/users/{rep.id}/deactivate")
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.query(ApiToken).filter_by(user_id=rep.id, revoked_at=None).count() == 0
