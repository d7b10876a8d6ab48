"""Every htmx form of the service pages, submitted as htmx submits it, lands on a whole page or
answers with the fragment of the element it swaps (as tests/test_whole_pages.py does for the rest)."""
from datetime import timedelta

from werkzeug.datastructures import MultiDict

from tests.test_whole_pages import SKIP_ACTIONS, htmx_forms


def test_every_htmx_form_of_the_service_pages(client, login_as, make_key_account, make_case, make_machine,
                                               make_part, make_visit, clock):
    manager = login_as("manager", "Wenzhou")
    company = make_key_account("温州华信眼镜有限公司", tier="A", owner=manager)
    machine = make_machine(company)
    case = make_case(company, "high", equipment=machine, by=manager)
    make_part(on_hand=5)
    start = case.received_at + timedelta(days=1)
    make_visit(company, start, start + timedelta(hours=2), users=[manager])  # a visit to link
    pages = [f"/service/{case.id}", f"/service/{case.id}/parts", f"/service/{case.id}/edit", "/service/new",
             f"/service/new?company={company.id}", "/service/"]
    sent_on, swapped = [], []
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        for form in htmx_forms(page.get_data(as_text=True), client):
            if any(part in form["action"] for part in SKIP_ACTIONS):
                continue
            response = client.htmx("post", form["action"], target=form["target"], data=MultiDict(form["data"]))
            if "HX-Location" in response.headers:
                sent_on.append(form["action"])  # followed and checked by the client
            else:
                assert response.status_code in (200, 409, 422), (form["action"], response.status_code)
                assert "<html" not in response.get_data(as_text=True), (form["action"], form["target"])
                swapped.append(form["action"])
    assert f"/service/{case.id}/act" in swapped and f"/service/{case.id}/visits" in swapped
    assert f"/service/{case.id}/parts" in sent_on and f"/service/{case.id}/edit" in sent_on
