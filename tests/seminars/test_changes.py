"""Editing a seminar that people signed up for: a raised capacity goes to the waiting list first,
in order; a new time or place is e-mailed to every registrant in their own language, with the
time on the region's clock and a calendar file that replaces the earlier one."""
import re
from datetime import UTC, datetime

import icalendar
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Registration, RegistrationStatus, SeminarStatus
from tests.conftest import SHANGHAI
from tests.seminars.conftest import person

C, W, X = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED
START = datetime(2030, 3, 5, 6, 0, tzinfo=UTC)   # 14:00 in Wenzhou
END = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)


def form_data(seminar, **changes) -> dict:
    """The edit form as the page fills it in, with `changes`."""
    def local(moment):
        return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M") if moment else ""

    data = {"region_id": seminar.region_id, "market_id": "", "association_id": "", "title": seminar.title,
            "abstract": seminar.abstract, "venue": seminar.venue, "address": seminar.address,
            "starts_at": local(seminar.starts_at), "ends_at": local(seminar.ends_at),
            "capacity": str(seminar.capacity), "waitlist_enabled": "y",
            "signup_opens_at": local(seminar.signup_opens_at), "signup_closes_at": local(seminar.signup_closes_at)}
    data.update(changes)
    return data


def table(seminar):
    db.session.expire_all()
    return [(r.name, r.status, r.waitlist_position) for r in db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id).order_by(Registration.id))]


def mails():
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_raising_capacity_seats_the_waiting_list_first_in_order(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(capacity=2, starts_at=START, ends_at=END)
    make_registration(seminar, name="甲")
    make_registration(seminar, name="乙")
    first = make_registration(seminar, name="丙", status=W, waitlist_position=1, email="bing@example.com",
                              locale="zh_Hans_CN")
    second = make_registration(seminar, name="Ding", status=W, waitlist_position=2, email="ding@example.com",
                               locale="en")
    make_registration(seminar, name="戊", status=W, waitlist_position=3)
    login_as("manager", locale="en")
    response = client.post(f"/seminars/{seminar.id}/edit", data=form_data(seminar, capacity="4"))
    assert response.status_code == 303
    assert table(seminar) == [("甲", C, None), ("乙", C, None), ("丙", C, None), ("Ding", C, None), ("戊", W, 1)]
    told = {m.to: m for m in mails()}
    assert told[first.email].subject.startswith("已为您空出座位") and told[first.email].ics
    assert told[second.email].subject.startswith("A seat is free for you")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "丙、Ding moved up from the waiting list" in page
    # The next newcomer queues behind 戊.
    assert client.post(f"/s/{seminar.slug}", data=person(7)).status_code == 303
    assert table(seminar)[-2:] == [("戊", W, 1), ("参会人7", W, 2)]


def test_raising_capacity_beyond_the_waiting_list_leaves_seats_for_newcomers(client, login_as, make_seminar,
                                                                               make_registration):
    seminar = make_seminar(capacity=1)
    make_registration(seminar, name="甲")
    make_registration(seminar, name="乙", status=W, waitlist_position=1)
    login_as("rep")
    client.post(f"/seminars/{seminar.id}/edit", data=form_data(seminar, capacity="5"))
    client.post(f"/s/{seminar.slug}", data=person(7))
    assert table(seminar) == [("甲", C, None), ("乙", C, None), ("参会人7", C, None)]
    # Lowering it takes nobody's seat away.
    client.post(f"/seminars/{seminar.id}/edit", data=form_data(seminar, capacity="1"))
    assert table(seminar) == [("甲", C, None), ("乙", C, None), ("参会人7", C, None)]


def test_a_new_time_is_mailed_to_every_registrant_in_their_language(client, login_as, make_seminar,
                                                                     make_registration):
    seminar = make_seminar(title="激光焊接讲座", capacity=2, starts_at=START, ends_at=END)
    zh = make_registration(seminar, name="张三", email="zhang@example.com", locale="zh_Hans_CN")
    en = make_registration(seminar, name="Li Wei", email="li@example.com", locale="en", status=W, waitlist_position=1)
    make_registration(seminar, name="无邮箱", email=None)
    make_registration(seminar, name="已取消", email="gone@example.com", status=X)
    login_as("manager", locale="en")
    response = client.post(f"/seminars/{seminar.id}/edit",
                           data=form_data(seminar, starts_at="2030-03-06T09:30", ends_at="2030-03-06T12:00"))
    assert response.status_code == 303
    sent = {m.to: m for m in mails()}
    assert set(sent) == {"zhang@example.com", "li@example.com"}

    chinese = sent[zh.email]
    assert chinese.subject == "变更通知：激光焊接讲座"
    assert "新时间：2030年3月6日星期三 09:30–12:00" in chinese.body
    assert "原定：2030年3月5日星期二 14:00–17:00" in chinese.body
    assert zh.cancel_token in chinese.body and "Dear" not in chinese.body
    event = icalendar.Calendar.from_ical(chinese.ics).walk("VEVENT")[0]
    assert "DTSTART;TZID=Asia/Shanghai:20300306T093000" in chinese.ics
    assert str(event["UID"]) == f"seminar-{seminar.id}@grove" and int(event["SEQUENCE"]) >= 0

    english = sent[en.email]
    assert english.subject == "Changed: 激光焊接讲座"
    assert "New time: Wednesday, March 6, 2030 09:30–12:00" in english.body
    assert "You are still number 1 on the waiting list." in english.body and english.ics is None

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 registrants were sent the new time and place by e-mail." in page
    assert "1 registrant gave no e-mail address: call them" in page


def test_a_new_place_is_mailed_and_a_later_file_replaces_the_earlier(client, login_as, make_seminar,
                                                                     make_registration):
    seminar = make_seminar(starts_at=START, ends_at=END)
    make_registration(seminar, name="张三", email="zhang@example.com", locale="en")
    first_file = icalendar.Calendar.from_ical(client.get(
        f"/s/r/{db.session.scalar(select(Registration.cancel_token))}/seminar.ics").data).walk("VEVENT")[0]
    login_as("rep")
    client.post(f"/seminars/{seminar.id}/edit", data=form_data(seminar, venue="瓯海区会展中心 2 号厅"))
    (mail,) = mails()
    assert "New place: 瓯海区会展中心 2 号厅" in mail.body and "Time: Tuesday, March 5, 2030 14:00–17:00" in mail.body
    assert "New time" not in mail.body
    later = icalendar.Calendar.from_ical(mail.ics).walk("VEVENT")[0]
    assert int(later["SEQUENCE"]) >= int(first_file["SEQUENCE"]) and "瓯海区会展中心" in str(later["LOCATION"])


def test_other_edits_and_drafts_mail_nobody(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(starts_at=START, ends_at=END)
    make_registration(seminar, email="a@example.com")
    draft = make_seminar(status=SeminarStatus.DRAFT, starts_at=START, ends_at=END)
    make_registration(draft, email="b@example.com")
    login_as("rep")
    client.post(f"/seminars/{seminar.id}/edit", data=form_data(seminar, title="新标题", abstract="新摘要", capacity="80"))
    client.post(f"/seminars/{draft.id}/edit", data=form_data(draft, starts_at="2030-03-07T09:00",
                                                             ends_at="2030-03-07T11:00"))
    assert mails() == []
    page = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    assert not re.search(r"registrants? (were|was) sent", page)
