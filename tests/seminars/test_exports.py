"""The registrations export (written by app/core/exports.py): labels in the user's language, times on
the seminar region's clock, every cell text, the file name."""
from datetime import UTC, datetime

from app.seminars.models import RegistrationStatus
from tests.core.test_exports import csv_rows, xlsx_sheet


def test_registrations_in_chinese_on_the_regions_clock(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="张三", created_at=datetime(2026, 3, 1, 1, 5, tzinfo=UTC),
                      checked_in_at=datetime(2026, 3, 8, 0, 55, tzinfo=UTC), status=RegistrationStatus.ATTENDED)
    make_registration(seminar, name="李四", status=RegistrationStatus.WAITLISTED, waitlist_position=3)
    login_as("rep", locale="zh_Hans_CN")
    response = client.get(f"/seminars/{seminar.id}/export.csv")
    assert f'filename="seminar-{seminar.id}-registrations.csv"' in response.headers["Content-Disposition"]
    rows = {r[0]: dict(zip(csv_rows(response)[0], r)) for r in csv_rows(response)[1:]}
    assert rows["张三"]["报名时间"] == "2026-03-01 09:05" and rows["张三"]["已签到"] == "2026-03-08 08:55"
    assert rows["李四"]["候补序号"] == "3" and rows["李四"]["报名时间"] != ""
    sheet = xlsx_sheet(client.get(f"/seminars/{seminar.id}/export.xlsx"))
    assert sheet.title == "报名" and sheet.cell(row=1, column=1).value == "名称"
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_a_yes_no_answer_reads_in_the_readers_language(client, login_as, make_seminar, make_registration):
    from app.extensions import db
    from app.seminars.models import Question, QuestionKind

    seminar = make_seminar()
    question = Question(seminar=seminar, label="是否需要停车位", kind=QuestionKind.YES_NO, position=0)
    db.session.add(question)
    db.session.commit()
    make_registration(seminar, name="张三", answers={str(question.id): {"label": question.label, "answer": "yes"}})
    make_registration(seminar, name="李四", answers={str(question.id): {"label": question.label, "answer": "no"}})
    login_as("rep", locale="zh_Hans_CN")
    rows = {r[0]: r[-1] for r in csv_rows(client.get(f"/seminars/{seminar.id}/export.csv"))[1:]}
    assert rows == {"张三": "是", "李四": "否"}
    client.post("/language", data={"locale": "en"})
    rows = {r[0]: r[-1] for r in csv_rows(client.get(f"/seminars/{seminar.id}/export.csv"))[1:]}
    assert rows == {"张三": "Yes", "李四": "No"}
