"""The notifications page, marking read, the delivery choice and the header's count."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core import time as clock
from app.extensions import db
from app.notifications.models import Delivery, Notification, NotificationSettings
from app.notifications.services import notify
from app.outbox.models import OutboxMessage


@pytest.fixture
def raise_for(app, monkeypatch):
    """Raise notifications for a person, one minute apart, the last one newest."""
    moment = [datetime(2026, 11, 2, 1, 0, tzinfo=UTC)]

    def tick():
        moment[0] += timedelta(minutes=1)
        return moment[0]
    monkeypatch.setattr(clock, "now_utc", tick)

    def make(user, *subjects, kind="renewal_due", link="/associations/1"):
        made = [notify(user, kind, f"test:{subject}", subject=subject, body=f"{subject}：请处理。", link=link)
                for subject in subjects]
        db.session.commit()
        return made
    return make


def _subjects(html: str) -> list[str]:
    return re.findall(r'class="subject-link">([^<]+)<', html)


def _unread(user_id) -> int:
    return db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def test_anonymous_visitors_sign_in_first(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.htmx("get", "/notifications/", target="notifications")
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
    for url in ("/notifications/read", "/notifications/read-all", "/notifications/open", "/notifications/settings"):
        response = client.post(url, data={"notification": "1", "delivery": "app"})
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_shows_ones_own_unread_first_then_newest(client, login_as, make_user, raise_for):
    user = login_as("rep")
    other = make_user("rep", name="别人")
    older, read, newer = raise_for(user, "旧的续费提醒", "已读的提醒", "新的升级申请")
    raise_for(other, "别人的提醒")
    read.read_at = datetime(2026, 11, 3, tzinfo=UTC)
    db.session.commit()
    page = client.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert _subjects(html) == ["新的升级申请", "旧的续费提醒", "已读的提醒"]
    assert "别人的提醒" not in html
    assert "新的升级申请：请处理。" in html and "Renewal due" in html
    assert "2 unread" in html and html.count(">Mark read<") == 2


def test_the_list_as_an_htmx_fragment_brings_the_header_count_along(client, login_as, raise_for):
    user = login_as("rep")
    raise_for(user, "续费提醒")
    response = client.htmx("get", "/notifications/?page=1", target="notifications")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'class="site-header' not in html
    assert "HX-Request" in response.headers["Vary"]
    assert 'id="notifications"' in html and "续费提醒" in html
    assert re.search(r'id="notifications-count"[^>]*hx-swap-oob="true"', html)
    assert "Notifications (1)" in html
    # Another element's request gets the whole page.
    assert "<html" in client.htmx("get", "/notifications/", target="elsewhere").get_data(as_text=True)


def test_an_empty_list_says_what_will_appear_there(client, login_as):
    login_as("rep")
    html = client.get("/notifications/").get_data(as_text=True)
    assert "Nothing needs you now." in html and "Mark all read" not in html


def test_pages_of_notifications(client, login_as, raise_for):
    user = login_as("rep")
    raise_for(user, *[f"提醒{i:02d}" for i in range(30)])
    first = client.get("/notifications/").get_data(as_text=True)
    assert _subjects(first)[:2] == ["提醒29", "提醒28"] and len(_subjects(first)) == 25
    assert "1–25 of 30" in first and 'href="/notifications/?page=2"' in first
    second = client.htmx("get", "/notifications/?page=2", target="notifications").get_data(as_text=True)
    assert _subjects(second) == [f"提醒{i:02d}" for i in range(4, -1, -1)]
    beyond = client.get("/notifications/?page=99")
    assert beyond.status_code == 200 and "Back to the first page" in beyond.get_data(as_text=True)
    for junk in ("x", "-1", str(2**64)):
        assert client.get(f"/notifications/?page={junk}").status_code == 200


def test_mark_one_read_without_javascript(client, login_as, raise_for):
    user = login_as("rep")
    first, second = raise_for(user, "第一条", "第二条")
    response = client.post("/notifications/read", data={"notification": first.id})
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications/?page=1")
    db.session.expire_all()
    assert first.read_at is not None and second.read_at is None
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _subjects(html) == ["第二条", "第一条"] and "Notifications (1)" in html


def test_mark_one_read_with_htmx_swaps_the_list_and_the_count(client, login_as, raise_for):
    user = login_as("rep")
    first, second = raise_for(user, "第一条", "第二条")
    response = client.htmx("post", "/notifications/read?page=1", target="notifications",
                           data={"notification": second.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Trigger"] == "notificationsChanged"
    assert "1 unread" in html and "Notifications (1)" in html and html.count(">Mark read<") == 1
    assert _unread(user.id) == 1


def test_reading_twice_keeps_the_first_time(client, login_as, raise_for):
    user = login_as("rep")
    (notification,) = raise_for(user, "一条")
    client.post("/notifications/read", data={"notification": notification.id})
    db.session.expire_all()
    first_read = notification.read_at
    client.post("/notifications/read", data={"notification": notification.id})
    db.session.expire_all()
    assert notification.read_at == first_read


def test_anothers_notification_is_a_404_and_stays_unread(client, login_as, make_user, raise_for):
    login_as("manager")
    other = make_user("rep")
    (theirs,) = raise_for(other, "别人的")
    for url in ("/notifications/read", "/notifications/open"):
        assert client.post(url, data={"notification": theirs.id}).status_code == 404
        response = client.htmx("post", url, target="notifications", data={"notification": theirs.id})
        assert response.status_code == 404 and "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert theirs.read_at is None


@pytest.mark.parametrize("value", [None, "", "x", "-1", "987654", str(2**31), str(2**64), "1.5"])
def test_a_missing_or_junk_id_is_a_404(client, login_as, raise_for, value):
    user = login_as("rep")
    raise_for(user, "一条")
    data = {} if value is None else {"notification": value}
    assert client.post("/notifications/read", data=data).status_code == 404
    assert _unread(user.id) == 1


def test_mark_all_read(client, login_as, make_user, raise_for):
    user = login_as("rep")
    other = make_user("rep")
    raise_for(user, "一", "二", "三")
    raise_for(other, "别人的")
    response = client.post("/notifications/read-all")
    assert response.status_code == 303
    assert _unread(user.id) == 0 and _unread(other.id) == 1
    html = client.htmx("post", "/notifications/read-all", target="notifications").get_data(as_text=True)
    assert "All read." in html and "Mark all read" not in html and "Notifications (" not in html


def test_writes_need_the_csrf_token(client, login_as, raise_for):
    user = login_as("rep")
    (notification,) = raise_for(user, "一条")
    assert client.post("/notifications/read", data={"notification": notification.id}, csrf=False).status_code == 400
    assert client.post("/notifications/read-all", csrf=False).status_code == 400
    assert _unread(user.id) == 1


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, login_as, raise_for):
    user = login_as("rep")
    (notification,) = raise_for(user, "去看看", link="/visits/?when=all")
    response = client.post("/notifications/open", data={"notification": notification.id})
    assert response.status_code == 303 and response.headers["Location"] == "/visits/?when=all"
    assert _unread(user.id) == 0


def test_a_notification_without_a_link_opens_nothing(client, login_as, raise_for):
    user = login_as("rep")
    (notification,) = raise_for(user, "只是通知", link="")
    html = client.get("/notifications/").get_data(as_text=True)
    assert '<p class="subject">只是通知</p>' in html
    response = client.post("/notifications/open", data={"notification": notification.id})
    assert response.headers["Location"].endswith("/notifications/")


def test_experts_read_and_mark_their_own(client, login_as, raise_for):
    expert = login_as("expert")
    (notification,) = raise_for(expert, "请您参加拜访", kind="visit_invitation")
    assert "请您参加拜访" in client.get("/notifications/").get_data(as_text=True)
    assert client.post("/notifications/read", data={"notification": notification.id}).status_code == 303
    assert client.post("/notifications/settings", data={"delivery": "app"}).status_code == 303
    assert _unread(expert.id) == 0


# ---- how the person is notified


def test_choose_in_grove_only_and_back(client, login_as, raise_for):
    user = login_as("rep")
    page = client.get("/notifications/").get_data(as_text=True)
    assert re.search(r'value="email" checked', page) and "In Grove only" in page
    response = client.post("/notifications/settings", data={"delivery": "app"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications/#settings")
    assert db.session.get(NotificationSettings, user.id).delivery is Delivery.APP
    assert re.search(r'value="app" checked', client.get("/notifications/").get_data(as_text=True))
    raise_for(user, "不发邮件")
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    response = client.htmx("post", "/notifications/settings", target="settings", data={"delivery": "email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="settings"' in html and "Saved." in html
    db.session.expire_all()
    assert db.session.get(NotificationSettings, user.id).delivery is Delivery.EMAIL


@pytest.mark.parametrize("data", [{}, {"delivery": "sms"}, {"delivery": ""}, {"delivery": "EMAIL"}])
def test_a_bad_choice_is_refused_at_the_field(client, login_as, data):
    user = login_as("rep")
    response = client.post("/notifications/settings", data=data)
    assert response.status_code == 422 and "Choose how Grove notifies you." in response.get_data(as_text=True)
    response = client.htmx("post", "/notifications/settings", target="settings", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and "Choose how Grove notifies you." in html
    assert db.session.get(NotificationSettings, user.id) is None


def test_the_page_in_chinese(client, login_as, raise_for):
    user = login_as("rep", locale="zh_Hans_CN")
    raise_for(user, "续费提醒")
    html = client.get("/notifications/").get_data(as_text=True)
    assert "<h1>通知</h1>" in html and "通知（1）" in html and "全部标为已读" in html and "仅在 Grove 中通知" in html
    assert "待续费" in html  # the kind's label
    html = client.post("/notifications/settings", data={"delivery": "sms"}).get_data(as_text=True)
    assert "请选择 Grove 通知您的方式。" in html


# ---- the header


def _bell(html: str) -> str:
    match = re.search(r'<a id="notifications-count"[^>]*>[^<]*</a>', html)
    return match.group(0) if match else ""


def test_the_header_shows_the_unread_count_with_a_label(client, login_as, raise_for):
    user = login_as("rep")
    bell = _bell(client.get("/account").get_data(as_text=True))
    assert ">Notifications</a>" in bell and 'aria-label="Notifications, none unread"' in bell
    raise_for(user, "一", "二", "三")
    bell = _bell(client.get("/account").get_data(as_text=True))
    assert ">Notifications (3)</a>" in bell and 'aria-label="Notifications, 3 unread"' in bell
    assert 'href="/notifications/"' in bell


def _notification_queries(client, queries, url: str) -> list[str]:
    client.get(url)  # warm up
    with queries() as q:
        response = client.get(url)
        assert response.status_code == 200, url
    return [s for s in q if "notifications" in s]


def test_the_header_count_costs_one_query_and_none_when_signed_out(client, login_as, raise_for, queries,
                                                                   make_seminar_for_header):
    slug = make_seminar_for_header()
    assert _notification_queries(client, queries, "/login") == []
    assert _notification_queries(client, queries, f"/s/{slug}") == []
    user = login_as("rep")
    raise_for(user, *[f"提醒{i}" for i in range(5)])
    for url in ("/account", "/companies/", "/visits/"):
        assert len(_notification_queries(client, queries, url)) == 1, url
    # Signed in, a public page shows no staff header and so no count.
    assert _notification_queries(client, queries, f"/s/{slug}") == []


def test_the_page_answers_in_the_same_number_of_queries_at_any_size(client, login_as, raise_for, queries):
    user = login_as("rep")

    def count() -> int:
        client.get("/notifications/")
        with queries() as q:
            client.get("/notifications/")
        return len(q)
    raise_for(user, *[f"少{i}" for i in range(3)])
    few = count()
    raise_for(user, *[f"多{i}" for i in range(60)])
    assert count() == few


@pytest.fixture
def make_seminar_for_header(app, make_market, make_association):
    def make() -> str:
        import secrets

        from app.seminars.models import Seminar, SeminarStatus
        market = make_market()
        start = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
        seminar = Seminar(region_id=market.region_id, market=market, association=make_association(markets=[market]),
                          title="眼镜行业讲座", starts_at=start, ends_at=start + timedelta(hours=2),
                          slug=secrets.token_hex(6), status=SeminarStatus.OPEN, capacity=50)
        db.session.add(seminar)
        db.session.commit()
        return seminar.slug
    return make


def test_every_htmx_form_of_the_page_swaps_a_fragment(client, login_as, raise_for):
    from werkzeug.datastructures import MultiDict

    from tests.test_whole_pages import htmx_forms
    user = login_as("rep")
    raise_for(user, "一", "二")
    forms = htmx_forms(client.get("/notifications/").get_data(as_text=True))
    assert {(f["action"].split("?")[0], f["target"]) for f in forms} == {
        ("/notifications/read-all", "notifications"), ("/notifications/read", "notifications"),
        ("/notifications/settings", "settings")}
    for form in forms:
        response = client.htmx("post", form["action"], target=form["target"], data=MultiDict(form["data"]))
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body and f'id="{form["target"]}"' in body, form
