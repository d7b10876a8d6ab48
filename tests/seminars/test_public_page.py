"""The public sign-up page as it is served from its rendered parts: live seats, each visitor's own
CSRF token, staff changes at once, the reader's language, rate limits, headers, one query."""
import re
import time
from contextlib import contextmanager

import pytest
from flask import g
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app import create_app
from app.config import TestConfig
from app.experts.models import Expert, Organisation
from app.extensions import db, limiter
from app.outbox.models import OutboxMessage
from app.seminars import public, services
from app.seminars.forms import _signup_form_class, signup_form
from app.seminars.models import (
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    SeminarStatus,
    Speaker,
)
from tests.conftest import GroveClient
from tests.seminars.conftest import person, signup_data

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def visitor(app):
    """A browser of its own that sends only the token the page gave it."""
    app.test_client_class = GroveClient
    return app.test_client()


@contextmanager
def as_elsewhere():
    """Writes made as another worker makes them: this process's read of a moment ago is not told."""
    event.remove(Session, "after_commit", public._forget_recent)
    try:
        yield
    finally:
        event.listen(Session, "after_commit", public._forget_recent)


def seats_line(html: str) -> str:
    return re.search(r'<p class="seats[^"]*" id="seats">\s*(.*?)\s*</p>', html, re.S).group(1)


def test_seats_left_are_live_after_each_sign_up(client, make_seminar):
    seminar = make_seminar(capacity=3)
    slug = seminar.slug
    assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "3 of 3 seats left"
    assert client.post(f"/s/{slug}", data=person(1)).status_code == 303
    assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "2 of 3 seats left"
    assert client.post(f"/s/{slug}", data=person(2)).status_code == 303
    assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "1 of 3 seats left"
    assert client.post(f"/s/{slug}", data=person(3)).status_code == 303
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    assert "All seats are taken" in seats_line(html) and "Join the waiting list" in html


def test_seats_taken_by_staff_show_at_once(client, make_seminar, make_registration):
    seminar = make_seminar(capacity=4)
    slug = seminar.slug
    client.get(f"/s/{slug}")
    make_registration(seminar)
    make_registration(seminar, status=RegistrationStatus.CANCELLED)
    assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "3 of 4 seats left"


def test_a_staff_change_to_the_seminar_shows_at_once(client, make_seminar):
    seminar = make_seminar(title="注塑机节能讲座", capacity=10)
    slug = seminar.slug
    assert "注塑机节能讲座" in client.get(f"/s/{slug}").get_data(as_text=True)
    seminar.title = "注塑机节能与自动化讲座"
    seminar.capacity = 12
    expert = Expert(region=seminar.region, name="王工", organisation=Organisation.RND, title="高级工程师")
    db.session.add(Speaker(seminar_id=seminar.id, expert=expert, talk_title="伺服改造"))
    db.session.add(Question(seminar=seminar, label="贵司注塑机台数？", kind=QuestionKind.TEXT, required=True))
    db.session.commit()
    html = client.get(f"/s/{slug}").get_data(as_text=True)
    assert "注塑机节能与自动化讲座" in html and "12 of 12 seats left" in html
    assert "王工" in html and "伺服改造" in html and "贵司注塑机台数？" in html
    expert.name = "王建国"
    db.session.commit()
    assert "王建国" in client.get(f"/s/{slug}").get_data(as_text=True)


def test_each_visitor_gets_a_token_of_their_own_that_the_post_accepts(app, make_seminar):
    seminar = make_seminar()
    slug = seminar.slug
    one, two = visitor(app), visitor(app)
    first, second = one.get(f"/s/{slug}"), two.get(f"/s/{slug}")
    tokens = [TOKEN.findall(r.get_data(as_text=True)) for r in (first, second)]
    # The token sits in the form, the language switch and htmx's headers: one per visitor.
    assert len(set(tokens[0])) == 1 and len(tokens[0]) >= 2 and f'"X-CSRFToken": "{tokens[0][0]}"' in \
        first.get_data(as_text=True)
    assert tokens[0][0] != tokens[1][0]
    assert "Set-Cookie" in first.headers  # the session that holds the token
    # Each token works with its own session only.
    assert two.post(f"/s/{slug}", data={**person(1), "csrf_token": tokens[0][0]}, csrf=False).status_code == 400
    assert one.post(f"/s/{slug}", data={**person(1), "csrf_token": tokens[0][0]}, csrf=False).status_code == 303


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_sign_up_without_a_valid_token_is_refused_and_changes_nothing(app, make_seminar, token):
    seminar = make_seminar(capacity=5)
    slug = seminar.slug
    browser = visitor(app)
    browser.get(f"/s/{slug}")
    data = person(1) if token is None else {**person(1), "csrf_token": token}
    assert browser.post(f"/s/{slug}", data=data, csrf=False).status_code == 400
    db.session.expire_all()
    assert services.seats(seminar).taken == 0


def test_the_served_page_is_the_page_rendered_for_the_visitor(app, make_seminar, make_registration):
    """The parts joined with the token and the seats are exactly what rendering the page gives."""
    seminar = make_seminar(capacity=5)
    db.session.add(Question(seminar=seminar, label="关注方向", kind=QuestionKind.CHOICE, choices="节能\n自动化"))
    db.session.commit()
    make_registration(seminar)
    slug = seminar.slug
    for language in ("zh-CN", "en"):
        with app.test_request_context(f"/s/{slug}?from=wechat", headers={"Accept-Language": language}):
            g.pop("_flask_babel", None)
            served = public.signup(slug).get_data(as_text=True)
            snapshot, seats = services.public_seminar(slug)
            rendered = public._page(snapshot, seats, signup_form(snapshot.questions)).get_data(as_text=True)
        assert served == rendered


def test_the_page_follows_the_readers_language_whatever_was_served_before(client, make_seminar):
    slug = make_seminar(capacity=5).slug
    for _ in range(2):
        zh = client.get(f"/s/{slug}", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
        assert '<html lang="zh-Hans" ' in zh and "报名" in zh and "Sign up" not in zh
        en = client.get(f"/s/{slug}", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
        assert '<html lang="en" ' in en and "Sign up" in en


def test_the_page_keeps_its_security_headers(client, make_seminar):
    response = client.get(f"/s/{make_seminar().slug}")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Vary"].startswith("HX-Request")


def test_the_page_is_one_query(client, make_seminar, make_registration, queries):
    seminar = make_seminar(capacity=5)
    expert = Expert(region=seminar.region, name="王工", organisation=Organisation.RND)
    db.session.add(Speaker(seminar_id=seminar.id, expert=expert, talk_title="伺服改造"))
    db.session.add(Question(seminar=seminar, label="贵司注塑机台数？", kind=QuestionKind.TEXT))
    db.session.commit()
    make_registration(seminar)
    slug = seminar.slug
    with queries() as q:
        assert client.get(f"/s/{slug}").status_code == 200
    assert len(q) == 1, q
    for _ in range(2):  # within PUBLIC_PAGE_MAX_AGE this process answers from what it read
        with queries() as q:
            assert client.get(f"/s/{slug}").status_code == 200
        assert q == []


def test_a_change_from_elsewhere_shows_within_the_max_age(app, client, make_seminar, make_registration,
                                                           monkeypatch):
    # Another worker's sign-up reaches this one's page within the age; with 0 every page reads it.
    seminar = make_seminar(capacity=5)
    slug = seminar.slug
    monkeypatch.setitem(app.extensions, "public.recent", public._Recent(0.3))
    assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "5 of 5 seats left"
    with as_elsewhere():
        make_registration(seminar)
        assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "5 of 5 seats left"
        time.sleep(0.35)
        assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "4 of 5 seats left"
        monkeypatch.setitem(app.extensions, "public.recent", public._Recent(0))
        make_registration(seminar)
        assert seats_line(client.get(f"/s/{slug}").get_data(as_text=True)) == "3 of 5 seats left"


def test_an_htmx_swap_gets_the_form_alone(client, make_seminar):
    slug = make_seminar().slug
    client.get(f"/s/{slug}")
    fragment = client.get(f"/s/{slug}", headers={"HX-Request": "true", "HX-Target": "signup"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith("<section") and "<html" not in html and TOKEN.search(html)


@pytest.fixture
def public_limited(limited_app):
    """A second app on the same database with the rate limits on (the suite's app has them off)."""
    return limited_app(RATELIMIT_PUBLIC="3 per minute").test_client()


def test_the_page_is_rate_limited(public_limited, make_seminar):
    slug = make_seminar().slug
    answers = [public_limited.get(f"/s/{slug}", headers={"Accept-Language": "zh-CN"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "请求过于频繁" in answers[-1].get_data(as_text=True)  # in the reader's language


def test_every_public_page_has_its_own_limit_and_the_sign_up_its_own(public_limited, make_seminar):
    # One limit on the public blueprint (checked once, before the view): each page counts apart,
    # the POSTs keep their own limits.
    slug = make_seminar().slug
    answer = public_limited.post(f"/s/{slug}", data=person(1))
    assert answer.status_code == 303
    token = answer.headers["Location"].rsplit("/", 1)[-1]
    for path in (f"/s/{slug}", f"/s/{slug}/qr.svg", f"/s/r/{token}", f"/s/r/{token}/seminar.ics",
                 f"/s/r/{token}/qr.png"):
        assert [public_limited.get(path).status_code for _ in range(4)] == [200, 200, 200, 429], path
    assert public_limited.get(f"/s/{slug}?page=2&_method=POST").status_code == 429  # a query string is the same page
    assert public_limited.post(f"/s/{slug}", data=person(2)).status_code == 303
    assert public_limited.post(f"/s/r/{token}/cancel").status_code == 303


def test_a_sign_up_sent_from_a_page_read_before_the_seminar_closed_elsewhere_is_refused(app, client, make_seminar):
    # The page came from this worker's read of a moment ago; another worker closed the seminar
    # since. The POST reads it afresh: 409, nothing saved.
    seminar = make_seminar(capacity=5)
    slug = seminar.slug
    assert 'name="email"' in client.get(f"/s/{slug}").get_data(as_text=True)
    with as_elsewhere():
        seminar.status = SeminarStatus.CLOSED
        db.session.commit()
        answer = client.post(f"/s/{slug}", data=signup_data(email="late@example.com"))
    assert answer.status_code == 409 and "Sign-up for this seminar is closed." in answer.get_data(as_text=True)
    assert db.session.scalar(select(Registration).where(Registration.email == "late@example.com")) is None


def test_a_question_added_elsewhere_a_moment_ago_is_asked_for_on_the_post(app, client, make_seminar):
    # The page came from this worker's read of a second ago; the POST reads the seminar afresh.
    seminar = make_seminar(capacity=5)
    slug = seminar.slug
    client.get(f"/s/{slug}")
    with as_elsewhere():
        db.session.add(Question(seminar=seminar, label="贵司机型？", kind=QuestionKind.TEXT, required=True))
        db.session.commit()
        answer = client.post(f"/s/{slug}", data=signup_data(email="new@example.com"))
    assert answer.status_code == 422 and "贵司机型？" in answer.get_data(as_text=True)
    assert db.session.scalar(select(Registration).where(Registration.email == "new@example.com")) is None


def test_a_read_that_began_before_a_commit_is_not_kept_after_it(app, make_seminar, monkeypatch):
    seminar = make_seminar(capacity=5)
    recent = public._Recent(60)
    read = services.public_seminar

    def read_while_someone_commits(slug):
        found = read(slug)
        recent.clear()  # what a commit in another thread of this worker does meanwhile
        return found

    monkeypatch.setattr(services, "public_seminar", read_while_someone_commits)
    assert recent.get(seminar.slug) is not None
    monkeypatch.setattr(services, "public_seminar", read)
    calls = []
    monkeypatch.setattr(services, "public_seminar", lambda slug: calls.append(slug) or read(slug))
    recent.get(seminar.slug)
    recent.get(seminar.slug)
    assert calls == [seminar.slug]  # not kept from the first read; kept from the second


def test_a_sign_up_post_is_seven_statements_for_a_seat_or_the_waiting_list(client, make_seminar, queries):
    """The page's read, the seminar read before the lock, the lock, one query for seats, queue, the
    person and the new id, then one flush: the registration, the mail and one insert of their two
    audit entries (a repeat or a free seat while people wait reads more)."""
    slug = make_seminar(capacity=1).slug
    for n, expected in ((1, RegistrationStatus.CONFIRMED), (2, RegistrationStatus.WAITLISTED),
                        (3, RegistrationStatus.WAITLISTED)):
        with queries() as q:
            answer = client.post(f"/s/{slug}", data=signup_data(email=f"p{n}@example.com", phone=f"1390000000{n}"))
        assert answer.status_code == 303 and len(q) == 7, "\n".join(s[:50] for s in q)
        db.session.expire_all()
        registration = db.session.scalars(select(Registration).where(Registration.email == f"p{n}@example.com")).one()
        assert registration.status is expected
        assert registration.waitlist_position == (n - 1 if expected is RegistrationStatus.WAITLISTED else None)


def test_a_seminar_staff_change_between_the_read_and_the_lock_is_what_the_sign_up_follows(
        client, make_seminar, monkeypatch):
    """The seminar and the e-mail are prepared before the lock; staff who save the seminar in that
    moment (simulated: the row changes just before the lock is taken) decide the seat and the e-mail."""
    seminar = make_seminar(capacity=0, title="旧标题")
    seminar_id = seminar.id
    written = services._SignupMail.of

    def staff_save_in_between(registration, **kw):
        mail = written(registration, **kw)
        db.session.connection().execute(
            services.update(services.Seminar).where(services.Seminar.id == seminar_id)
            .values(capacity=1, title="新标题").execution_options(synchronize_session=False))
        return mail

    monkeypatch.setattr(services._SignupMail, "of", staff_save_in_between)
    assert client.post(f"/s/{seminar.slug}", data=signup_data(email="p1@example.com")).status_code == 303
    db.session.expire_all()
    registration = db.session.scalars(select(Registration).where(Registration.seminar_id == seminar_id)).one()
    assert registration.status is RegistrationStatus.CONFIRMED  # the seat the new capacity gives
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == f"registration:{registration.id}")).one()
    assert "新标题" in mail.subject and "新标题" in mail.body and "旧标题" not in mail.body + (mail.ics or "")
    assert "SUMMARY:新标题" in mail.ics


def test_the_form_class_is_built_once_per_question_set():
    lunch = services.PublicQuestion(1, "午餐？", QuestionKind.YES_NO, "", True)
    assert _signup_form_class((lunch,)) is _signup_form_class((lunch,))
    edited = services.PublicQuestion(1, "晚餐？", QuestionKind.YES_NO, "", True)
    assert _signup_form_class((edited,)) is not _signup_form_class((lunch,))
