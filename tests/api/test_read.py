"""The read API: every list answers in the token owner's regions only, pages by cursor, filters
like the app's lists, refuses bad input with a JSON 400, and costs a fixed number of queries."""
import pytest

from app.extensions import db
from tests.api.conftest import LISTS, list_path


def test_every_list_shows_the_token_owners_region_only(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    for name in LISTS:
        response = api.get(list_path(name, world["Wenzhou"]), token, limit=100)
        assert response.status_code == 200, (name, response.get_json())
        text = response.get_data(as_text=True)
        assert "Wuxi" not in text, name
        assert response.get_json()["data"], name


def test_another_regions_seminar_is_a_json_404(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    response = api.get(list_path("registrations", world["Wuxi"]), token)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


@pytest.mark.parametrize("name,query", [
    ("companies", {"q": "Wuxi"}), ("companies", {"owner": "me"}), ("companies", {"stage": "key_account"}),
    ("contacts", {"role": "key_person"}), ("opportunities", {"stage": "proposal"}), ("orders", {"since": "2026-01-01"}),
    ("visits", {"upcoming": "true"}), ("machines", {"q": "Wuxi"}), ("service-cases", {"status": "open"}),
    ("seminars", {"q": "讲座"}),
])
def test_no_filter_reaches_another_region(world, api, token_for, name, query):
    token = token_for(world["Wenzhou"]["owner"])
    rows = api.walk(name, token, limit=1, **query)
    assert "Wuxi" not in str(rows)


def test_filters_and_ids_of_another_region_find_nothing(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    wuxi_company = world["Wuxi"]["companies"][0].id
    for name in ("contacts", "opportunities", "orders", "machines", "service-cases"):
        assert api.get(name, token, company=wuxi_company).get_json()["data"] == [], name


def test_a_cursor_from_another_regions_walk_is_refused(world, api, token_for):
    wuxi = api.get("companies", token_for(world["Wuxi"]["owner"]), limit=1).get_json()
    response = api.get("companies", token_for(world["Wenzhou"]["owner"]), cursor=wuxi["next_cursor"], limit=2)
    assert response.status_code == 400 and "Wuxi" not in response.get_data(as_text=True)
    assert list(response.get_json()["fields"]) == ["cursor"]


def test_an_admin_token_reads_every_region(world, api, token_for, make_user):
    rows = api.walk("companies", token_for(make_user("admin", None)), limit=2)
    assert {r["name"][:4] for r in rows} == {"Wenz", "Wuxi"}


def test_filters_work_as_the_lists_do(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    first = world["Wenzhou"]["companies"][0]
    assert [c["id"] for c in api.get("companies", token, stage="key_account").get_json()["data"]] == [first.id]
    assert [c["id"] for c in api.get("companies", token, tier="A").get_json()["data"]] == [first.id]
    assert len(api.get("companies", token, owner="me").get_json()["data"]) == 3
    assert [c["name"] for c in api.get("contacts", token, role="key_person").get_json()["data"]] == ["Wenzhou联系人0"]
    assert [o["stage"] for o in api.get("opportunities", token, stage="proposal").get_json()["data"]] == ["proposal"]
    assert [o["description"] for o in api.get("orders", token, since="2026-11-02", until="2026-11-02")
            .get_json()["data"]] == ["Wenzhou订单1"]
    assert [v["level"] for v in api.get("visits", token, level=2).get_json()["data"]] == [2]
    assert len(api.get("visits", token, user=world["Wenzhou"]["owner"].id).get_json()["data"]) == 3
    assert [m["serial"] for m in api.get("machines", token, q="Wenzhou-1").get_json()["data"]] == ["Wenzhou-1"]
    assert len(api.get("service-cases", token, company=first.id).get_json()["data"]) == 1
    assert api.get("seminars", token, status="draft").get_json()["data"] == []
    seminar = api.get("seminars", token).get_json()["data"][0]
    assert (seminar["seats_taken"], seminar["waiting"]) == (3, 0)
    assert api.get(list_path("registrations", world["Wenzhou"]), token, status="waitlisted").get_json()["data"] == []


def test_registrations_are_searched_as_the_staff_list_searches_them(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    path = list_path("registrations", world["Wenzhou"])

    def names(**query):
        response = api.get(path, token, **query)
        assert response.status_code == 200, response.get_json()
        return sorted(r["name"] for r in response.get_json()["data"])

    assert names(q="参会人1") == ["Wenzhou参会人1"]
    assert names(q="客户2有限") == ["Wenzhou参会人2"]
    assert names(q="WENZHOU0@EXAMPLE") == ["Wenzhou参会人0"]
    assert names(q="138 0000-0001") == ["Wenzhou参会人1"]  # the digits, however written
    assert names(q="  ") == ["Wenzhou参会人0", "Wenzhou参会人1", "Wenzhou参会人2"]
    assert names(q="参会人", status="waitlisted") == []
    assert names(q="Wuxi") == []  # another region's seminar's people are not in this one
    assert names(q="%") == []  # a wildcard is text: no registration holds it
    response = api.get(path, token, q="参会人\r\nX")
    assert response.status_code == 400 and list(response.get_json()["fields"]) == ["q"]


def test_rows_read_as_the_schema_says(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    company = api.get("companies", token, stage="key_account").get_json()["data"][0]
    assert company["owner"] == {"id": world["Wenzhou"]["owner"].id, "name": "温州代表"}
    assert company["tier"] == "A" and company["created_at"].endswith("+00:00")
    visit = api.get("visits", token, limit=1).get_json()["data"][0]
    assert visit["team"][0]["name"] == "温州代表" and visit["team"][0]["is_lead"] is True
    order = api.get("orders", token, limit=1).get_json()["data"][0]
    assert order["amount_cents"] == 50_000 and order["ordered_on"] == "2026-11-01"


@pytest.mark.parametrize("name", LISTS)
def test_pagination_walks_every_row_once(world, api, token_for, name):
    token = token_for(world["Wenzhou"]["owner"])
    path = list_path(name, world["Wenzhou"])
    everything = api.get(path, token, limit=100).get_json()["data"]
    walked = api.walk(path, token, limit=1)
    assert [r["id"] for r in walked] == [r["id"] for r in everything]
    assert len({r["id"] for r in walked}) == len(walked) >= (1 if name == "seminars" else 3)


def test_a_walk_stays_right_while_rows_are_inserted(world, api, token_for, make_company):
    token = token_for(world["Wenzhou"]["owner"])
    first = api.get("companies", token, limit=2).get_json()
    make_company("Wenzhou新客户有限公司", region="Wenzhou")
    rest = api.walk("companies", token, limit=2, cursor=first["next_cursor"])
    names = [c["name"] for c in first["data"] + rest]
    assert len(names) == len(set(names)) == 4 and names[-1] == "Wenzhou新客户有限公司"


@pytest.mark.parametrize("query,field", [
    ({"limit": "NaN"}, "limit"), ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "1.5"}, "limit"),
    ({"market": "NaN"}, "market"), ({"market": "99999999999"}, "market"), ({"stage": "nope"}, "stage"),
    ({"owner": "you"}, "owner"), ({"owner": "4904164900"}, "owner"), ({"due": "maybe"}, "due"), ({"colour": "red"}, "colour"),
    ({"cursor": "garbage"}, "cursor"), ({"cursor": "WyJjb250YWN0cyIsIDFd.xxxx"}, "cursor"),
])
def test_bad_input_is_a_json_400_naming_the_parameter(world, api, token_for, query, field):
    response = api.get("companies", token_for(world["Wenzhou"]["owner"]), **query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and body["message"] and field in body["fields"], body


def test_a_cursor_of_another_list_is_refused(world, api, token_for):
    token = token_for(world["Wenzhou"]["owner"])
    cursor = api.get("contacts", token, limit=1).get_json()["next_cursor"]
    response = api.get("companies", token, cursor=cursor)
    assert response.status_code == 400 and "another list" in response.get_json()["message"]


def test_a_filter_given_twice_is_refused(world, api, token_for):
    response = api.get("/api/v1/companies?stage=won&stage=target", token_for(world["Wenzhou"]["owner"]))
    assert response.status_code == 400 and "stage" in response.get_json()["fields"]


def test_both_a_user_and_an_expert_is_refused(world, api, token_for):
    response = api.get("visits", token_for(world["Wenzhou"]["owner"]), user=1, expert=1)
    assert response.status_code == 400 and "expert" in response.get_json()["fields"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_api_only_reads(world, api, token_for, method):
    token = token_for(world["Wenzhou"]["owner"])
    response = api.client.open("/api/v1/companies", method=method, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405
    assert response.get_json()["error"] == "method_not_allowed" and "GET" in response.headers["Allow"]
    assert db.session.get(type(world["Wenzhou"]["companies"][0]), world["Wenzhou"]["companies"][0].id)


def test_an_unknown_path_is_a_json_404(world, api, token_for):
    response = api.get("nothing-here", token_for(world["Wenzhou"]["owner"]))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_an_answer_sets_no_cookie(world, api, token_for):
    response = api.get("companies", token_for(world["Wenzhou"]["owner"]))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_a_signed_in_browser_without_a_token_is_refused(world, client, login_as):
    login_as("rep", "Wenzhou")
    response = client.get("/api/v1/companies")
    assert response.status_code == 401 and response.is_json


@pytest.mark.parametrize("name", LISTS)
def test_a_page_costs_the_same_queries_whatever_its_length(world, api, token_for, queries, name):
    token = token_for(world["Wenzhou"]["owner"])
    path = list_path(name, world["Wenzhou"])
    api.get(path, token)  # the token's last use is written on the first request only
    with queries() as one:
        assert api.get(path, token, limit=1).status_code == 200
    with queries() as three:
        assert api.get(path, token, limit=3).status_code == 200
    assert len(one) == len(three) <= 8, (name, len(one), len(three))


def test_the_openapi_document_lists_every_endpoint(world, api):
    doc = api.get("openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/api/v1/companies", "/api/v1/contacts", "/api/v1/opportunities", "/api/v1/orders",
                                 "/api/v1/seminars", "/api/v1/seminars/{seminar_id}/registrations",
                                 "/api/v1/visits", "/api/v1/machines", "/api/v1/service-cases"}
    params = {p["name"] for p in doc["paths"]["/api/v1/companies"]["get"]["parameters"]}
    assert {"limit", "cursor", "q", "market", "stage", "tier", "owner", "due"} <= params
