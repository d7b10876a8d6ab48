"""The audit log reads stored values as a person would: a conflict override as its sentences in the
reader's language (not a Python dict), an e-mail's calendar file as what and when (not its raw text)."""
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.visits.models import ConflictOverride
from tests.conftest import local

ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:激光焊接技术讲座\r\n"
       "DTSTART;TZID=Asia/Shanghai:20261203T140000\r\nDTEND;TZID=Asia/Shanghai:20261203T160000\r\n"
       "LOCATION:协会会议室\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def test_a_conflict_override_reads_as_sentences(client, login_as, make_company, make_visit):
    login_as("admin", None)
    visit = make_visit(make_company(), local(2026, 12, 1, 10), local(2026, 12, 1, 12))
    db.session.add(ConflictOverride(visit_id=visit.id, conflicts=[
        {"key": "visit:9:u1", "kind": "visit", "code": "visiting",
         "facts": {"name": "李娜", "company": "温州明光笔业", "starts_at": "2026-12-01T02:00:00+00:00",
                   "ends_at": "2026-12-01T04:00:00+00:00", "zone": "Asia/Shanghai"}},
        {"key": "weekend", "kind": "hours", "code": "weekend", "facts": {}}]))
    db.session.commit()
    body = client.get("/admin/audit").get_data(as_text=True)
    assert "李娜 is already visiting 温州明光笔业 Dec 1, 2026, 10:00" in body and "The visit falls on a weekend." in body
    assert "{&#39;key&#39;" not in body and "&#39;facts&#39;" not in body and "visit:9:u1" not in body
    body = client.get("/admin/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "is already visiting" not in body and "李娜" in body


def test_an_email_reads_as_its_first_line_and_its_calendar_file_as_what_and_when(client, login_as):
    login_as("admin", None)
    db.session.add(OutboxMessage(to="a@example.com", subject="报名确认", body="您好，\n\n" + "您已报名。" * 200,
                                 ics=ICS, topic="registration"))
    db.session.commit()
    body = client.get("/admin/audit").get_data(as_text=True)
    assert "ICS · 激光焊接技术讲座 · 2026-12-03 14:00" in body
    assert "BEGIN:VCALENDAR" not in body and "DTSTART" not in body
    assert "您好， … (1005)" in body and "Calendar file" in body
