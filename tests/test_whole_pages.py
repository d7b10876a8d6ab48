"""Every save lands on a whole page: each htmx form of Grove's pages is submitted as htmx
submits it, and wherever the answer sends the browser on (`HX-Location`), the client follows
it as htmx does and checks the page has its title and site header (tests/conftest.py).
"""
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from app.core.types import utcnow
from app.htmx import wants_fragment
from tests.seminars.conftest import make_seminar

# Forms that end the session, switch language or destroy the record the next forms need.
SKIP_ACTIONS = ("/logout", "/language", "/delete", "/cancel", "/undo", "/remove")


class Forms(HTMLParser):
    """The htmx forms of a page: where they post, the element they swap and their values."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr", "area", "base"}

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None
        self.folded = []  # (id, url) of the forms folded under their button (macros/forms.html, folded_form)
        self._open = []  # (tag, id, hx-target) of the open elements: htmx inherits hx-target

    def _target_of(self, a) -> str | None:
        """The id htmx sends as HX-Target: hx-target of the form or its nearest ancestor, else the form."""
        for _tag, element_id, target in [("form", a.get("id"), a.get("hx-target")), *reversed(self._open)]:
            if target == "this":
                return element_id
            if target:
                return target.removeprefix("#")
        return a.get("id")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        target = self._target_of(a) if tag == "form" else None
        if tag not in self.VOID:
            self._open.append((tag, a.get("id"), a.get("hx-target")))
        if "folded-form" in (a.get("class") or "").split() and a.get("hx-get"):
            self.folded.append((a["id"], a["hx-get"]))
        if tag == "form" and a.get("hx-post"):
            self._form = {"action": a["hx-post"], "target": target, "data": []}
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["data"].append((a["name"], a.get("value", "y" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None, None]
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select[2] is None and value:
                self._select[2] = value
            if "selected" in a:
                self._select[1] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            name, selected, first = self._select
            self._form["data"].append((name, selected if selected is not None else first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["data"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def htmx_forms(html: str, client=None) -> list[dict]:
    """The page's htmx forms; with a client, also those folded under their button, fetched as htmx
    fetches them when the fold opens (each must answer with the fragment that replaces its placeholder)."""
    parser = Forms()
    parser.feed(html)
    forms = parser.forms
    for element_id, url in parser.folded if client is not None else ():
        response = client.htmx("get", url, target=element_id)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body and f'id="{element_id}"' in body, url
        forms += htmx_forms(body)
    return forms


@pytest.fixture
def world(login_as, make_company, make_contact, make_market, make_association, make_term, make_seminar,
          make_expert, make_visit):
    manager = login_as("manager", "Wenzhou")
    market = make_market("眼镜")
    company = make_company("温州华信眼镜有限公司", markets=[market])
    contact = make_contact(company, "李志强")
    association = make_association("温州市眼镜商会", markets=[market], members=[company])
    make_term(association)
    seminar = make_seminar("眼镜行业激光焊接技术讲座", market=market, association=association)
    expert = make_expert("周工")
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=3)
    visit = make_visit(company, start, start + timedelta(hours=2), users=[manager], experts=[expert])
    return {"company": company, "contact": contact, "market": market, "association": association,
            "seminar": seminar, "expert": expert, "visit": visit}


def _pages(w) -> list[str]:
    return [f"/companies/{w['company'].id}", f"/companies/{w['company'].id}/edit",
            f"/companies/{w['company'].id}/contacts/{w['contact'].id}/edit",
            f"/markets/{w['market'].id}", f"/markets/{w['market'].id}/edit", f"/markets/{w['market'].id}/screening",
            f"/associations/{w['association'].id}", f"/associations/{w['association'].id}/edit",
            f"/seminars/{w['seminar'].id}", f"/seminars/{w['seminar'].id}/edit", f"/seminars/{w['seminar'].id}/checkin",
            f"/experts/{w['expert'].id}", f"/experts/{w['expert'].id}/edit",
            f"/visits/{w['visit'].id}", f"/visits/{w['visit'].id}/edit",
            "/markets/new", "/associations/new", "/companies/new", "/seminars/new", "/experts/new", "/visits/new"]


def test_every_htmx_save_lands_on_a_whole_page(client, world):
    sent_on, swapped = [], []
    for url in _pages(world):
        page = client.get(url)
        if page.status_code != 200:
            continue
        for form in htmx_forms(page.get_data(as_text=True), client):
            if any(part in form["action"] for part in SKIP_ACTIONS):
                continue
            response = client.htmx("post", form["action"], target=form["target"], data=MultiDict(form["data"]))
            if "HX-Location" in response.headers:
                sent_on.append(form["action"])  # followed and checked by the client
            elif response.status_code in (200, 422):
                body = response.get_data(as_text=True)
                assert "<html" not in body, (form["action"], "a whole page swapped into", form["target"])
                swapped.append(form["action"])
    # The saves an outside look found landing on a bare fragment are among those walked.
    assert f"/seminars/{world['seminar'].id}/edit" in sent_on
    assert f"/associations/{world['association'].id}/edit" in sent_on
    assert f"/companies/{world['company'].id}/edit" in sent_on
    assert f"/markets/{world['market'].id}/edit" in sent_on
    assert f"/companies/{world['company'].id}/contacts/{world['contact'].id}/edit" in sent_on
    assert f"/companies/{world['company'].id}/contacts/new" in swapped  # folded under "Add a contact"
    assert len(swapped) >= 10  # the in-place forms answered with their fragment, not a page


def test_planning_a_seminar_with_htmx_lands_on_its_whole_page(client, login_as, make_market):
    login_as("manager", "Wenzhou")
    market = make_market("眼镜")
    form = htmx_forms(client.get("/seminars/new").get_data(as_text=True))[0]
    data = dict(form["data"]) | {"market_id": str(market.id), "title": "注塑机节能改造技术讲座", "venue": "商会三楼",
                                 "starts_at": "2027-03-02T14:00", "ends_at": "2027-03-02T17:00", "capacity": "60"}
    response = client.htmx("post", "/seminars/new", target=form["target"], data=data)

    assert response.status_code == 204, response.get_data(as_text=True)
    page = client.follow_like_htmx(response)
    assert "注塑机节能改造技术讲座 · Grove" in page.get_data(as_text=True)


@pytest.mark.parametrize("headers, fragment", [
    ({"HX-Request": "true", "HX-Target": "seminar-form"}, True),
    ({"HX-Request": "true"}, False),  # HX-Location's GET: its target is the <body>
    ({"HX-Request": "true", "HX-Target": "seminar-form", "HX-Boosted": "true"}, False),
    ({"HX-Request": "true", "HX-Target": "seminar-form", "HX-History-Restore-Request": "true"}, False),
    ({}, False),
])
def test_a_fragment_only_when_htmx_swaps_an_element(app, headers, fragment):
    with app.test_request_context("/", headers=headers):
        assert wants_fragment() is fragment
        if headers.get("HX-Target"):
            assert wants_fragment(("registrations",)) is False  # a route's declared targets must match
