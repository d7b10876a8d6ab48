"""The one answer to a failed POST: the form again with its messages at the fields, as 422."""
import pytest

from app.htmx import invalid


@pytest.mark.parametrize("method,status", [("GET", 200), ("POST", 422)])
def test_invalid_is_422_after_a_post(app, method, status):
    # htmx swaps one element (HX-Target): the fragment, varied on both headers.
    with app.test_request_context("/", method=method, headers={"HX-Request": "true", "HX-Target": "main"}):
        response = invalid("errors/error.html", "errors/_error.html", code=422, title="t", text="x")
    assert response.status_code == status and response.headers["Vary"] == "HX-Request, HX-Target"
    assert "<html" not in response.get_data(as_text=True)


def test_a_form_page_answers_422_with_the_fragment_for_htmx(client, login_as):
    login_as("manager")
    assert client.get("/markets/new").status_code == 200
    response = client.htmx("post", "/markets/new", data={"name": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and 'aria-invalid="true"' in body
    response = client.post("/markets/new", data={"name": ""})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize("text, expected", [
    ("12", 12), ("0", 0), ("2147483647", 2**31 - 1), ("2147483648", None), ("¹", None), ("٣", None),
    ("１", None), ("1_0", None), (" 1", None), ("1\n", None), ("-1", None), ("", None), (None, None)])
def test_an_id_in_a_form_value_is_ascii_digits_an_id_column_holds(text, expected):
    from app.core.inputs import as_id
    assert as_id(text) == expected


def test_a_visit_form_naming_an_escalation_in_superscript_digits_is_refused_not_500(client, login_as):
    login_as("rep", "Wenzhou")
    response = client.post("/visits/new", data={"escalation_id": "¹", "purpose": "x"})
    assert response.status_code == 422
