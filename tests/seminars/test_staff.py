"""Staff side: plan and publish, registrations inline, check-in desk, printables, exports, leads, outbox."""
import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Company, Contact
from app.core.types import utcnow
from app.experts.models import Expert, Organisation
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Question, Registration, RegistrationStatus, Seminar, SeminarStatus
from app.seminars.services import checkin_code

C, W, X, A, N = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED,
                 RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW)


def fresh(obj):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def statuses(seminar):
    db.session.expire_all()
    return [(r.name, r.status, r.waitlist_position) for r in db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id).order_by(Registration.id))]


STAFF_URLS = ["/seminars/{id}", "/seminars/{id}/edit", "/seminars/{id}/registrations", "/seminars/{id}/checkin",
              "/seminars/{id}/checkin/count", "/seminars/{id}/print/attendees", "/seminars/{id}/print/sign-in",
              "/seminars/{id}/export.csv", "/seminars/{id}/export.xlsx", "/seminars/{id}/leads"]


@pytest.mark.parametrize("url", ["/seminars/", "/seminars/new", "/seminars/outbox", *STAFF_URLS])
def test_anonymous_is_sent_to_login(client, make_seminar, url):
    seminar = make_seminar()
    response = client.get(url.format(id=seminar.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_other_region_is_404(client, login_as, make_seminar, url):
    seminar = make_seminar(region="Wuxi")
    login_as("rep", "Wenzhou")
    assert client.get(url.format(id=seminar.id)).status_code == 404
    assert client.htmx("get", url.format(id=seminar.id)).status_code == 404


def test_other_region_writes_are_404(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(region="Wuxi")
    reg = make_registration(seminar)
    login_as("rep", "Wenzhou")
    for url in (f"/seminars/{seminar.id}/registrations/{reg.id}/cancel", f"/seminars/{seminar.id}/status",
                f"/seminars/{seminar.id}/checkin/code", f"/seminars/{seminar.id}/leads"):
        assert client.post(url, data={"status": "closed", "code": checkin_code(reg)}).status_code == 404
    assert fresh(reg).status is C


def test_index_lists_region_seminars_with_seats(client, login_as, make_seminar, make_registration, queries):
    mine = make_seminar(title="激光焊接讲座", capacity=2)
    make_seminar(title="无锡讲座", region="Wuxi")
    make_registration(mine)
    login_as("rep", "Wenzhou")
    html = client.get("/seminars/").get_data(as_text=True)
    assert "激光焊接讲座" in html and "无锡讲座" not in html and "1/2" in html
    fragment = client.htmx("get", "/seminars/?q=激光")
    assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
    db.session.expire_all()
    with queries() as q1:
        client.get("/seminars/")
    for i in range(5):
        s = make_seminar(title=f"讲座{i}")
        make_registration(s)
    db.session.expire_all()
    with queries() as q2:
        client.get("/seminars/")
    assert len(q1) == len(q2)


def test_plan_publish_and_edit(client, login_as, make_region, make_market):
    market = make_market("眼镜")
    login_as("manager", "Wenzhou")
    region = make_region("Wenzhou")
    data = {"region_id": region.id, "market_id": market.id, "title": "眼镜激光焊接技术讲座", "abstract": "案例",
            "venue": "商会报告厅", "address": "温州", "starts_at": "2030-03-05T14:00", "ends_at": "2030-03-05T17:00",
            "capacity": "40", "waitlist_enabled": "y"}
    bad = client.post("/seminars/new", data={**data, "ends_at": "2030-03-05T13:00"})
    assert bad.status_code == 422 and "The end must be after the start." in bad.get_data(as_text=True)
    assert db.session.scalar(select(Seminar)) is None
    response = client.post("/seminars/new", data=data)
    assert response.status_code == 303
    seminar = db.session.scalar(select(Seminar))
    assert seminar.status is SeminarStatus.DRAFT and seminar.starts_at.hour == 6  # 14:00 in Shanghai
    assert client.get(f"/s/{seminar.slug}").status_code == 404
    client.post(f"/seminars/{seminar.id}/status", data={"status": "open"})
    assert fresh(seminar).status is SeminarStatus.OPEN
    assert client.get(f"/s/{seminar.slug}").status_code == 200
    page = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    assert f"/s/{seminar.slug}" in page and "qr.svg" in page
    edit = client.get(f"/seminars/{seminar.id}/edit").get_data(as_text=True)
    assert 'value="2030-03-05T14:00"' in edit
    response = client.post(f"/seminars/{seminar.id}/edit", data={**data, "capacity": "60"})
    assert response.status_code == 303 and fresh(seminar).capacity == 60
    assert client.post(f"/seminars/{seminar.id}/status", data={"status": "draft"}).status_code == 400


def test_cancel_seminar_mails_everyone(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, email="a@example.com")
    make_registration(seminar, status=W, waitlist_position=1, email="b@example.com")
    login_as("rep")
    client.post(f"/seminars/{seminar.id}/status", data={"status": "cancelled", "confirm": "yes"})
    assert fresh(seminar).status is SeminarStatus.CANCELLED
    assert sorted(m.to for m in db.session.scalars(select(OutboxMessage))) == ["a@example.com", "b@example.com"]


def test_speakers_and_questions(client, login_as, make_seminar, make_region):
    seminar = make_seminar()
    expert = Expert(region=make_region("Wenzhou"), name="陈工", organisation=Organisation.RND, title="高级工程师")
    db.session.add(expert)
    db.session.commit()
    login_as("rep")
    response = client.htmx("post", f"/seminars/{seminar.id}/speakers",
                           data={"speaker-expert_id": expert.id, "speaker-talk_title": "激光焊接的节能"})
    assert response.status_code == 200 and "陈工" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)
    assert [s.talk_title for s in fresh(seminar).speakers] == ["激光焊接的节能"]
    bad = client.htmx("post", f"/seminars/{seminar.id}/questions",
                      data={"question-label": "方向", "question-kind": "choice", "question-choices": "只有一个"})
    assert bad.status_code == 422 and "at least two choices" in bad.get_data(as_text=True)
    client.htmx("post", f"/seminars/{seminar.id}/questions",
                data={"question-label": "方向", "question-kind": "choice", "question-choices": "节能\n自动化",
                      "question-required": "y"})
    question = db.session.scalar(select(Question))
    assert question.required and question.choice_list == ["节能", "自动化"]
    assert "自动化" in client.get(f"/s/{seminar.slug}").get_data(as_text=True)
    speaker = fresh(seminar).speakers[0]
    client.htmx("post", f"/seminars/{seminar.id}/speakers/{speaker.id}/delete")
    client.htmx("post", f"/seminars/{seminar.id}/questions/{question.id}/delete")
    s = fresh(seminar)
    assert s.speakers == [] and s.questions == []


def test_registrations_panel_search_and_filter(client, login_as, make_seminar, make_registration, queries):
    seminar = make_seminar()
    make_registration(seminar, name="张三", company_name="明光眼镜", phone="138 0000 1111")
    make_registration(seminar, name="李四", status=W, waitlist_position=1)
    login_as("rep")
    fragment = client.htmx("get", f"/seminars/{seminar.id}/registrations?q=00001111")
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "张三" in html and "李四" not in html
    html = client.htmx("get", f"/seminars/{seminar.id}/registrations?status=waitlisted").get_data(as_text=True)
    assert "李四" in html and "张三" not in html
    for typed in ("%", "_", "张%"):  # characters to find, not wildcards: nobody's name holds them
        html = client.htmx("get", f"/seminars/{seminar.id}/registrations", query_string={"q": typed}).get_data(as_text=True)
        assert "张三" not in html and "李四" not in html, typed
    db.session.expire_all()
    with queries() as q1:
        client.get(f"/seminars/{seminar.id}")
    for i in range(6):
        make_registration(seminar)
    db.session.expire_all()
    with queries() as q2:
        client.get(f"/seminars/{seminar.id}")
    assert len(q1) == len(q2)


def test_staff_cancel_promotes_and_confirm_needs_purpose_beyond_capacity(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(capacity=1)
    a = make_registration(seminar, name="甲")
    b = make_registration(seminar, name="乙", status=W, waitlist_position=1)
    c = make_registration(seminar, name="丙", status=W, waitlist_position=2)
    login_as("rep")
    refused = client.htmx("post", f"/seminars/{seminar.id}/registrations/{c.id}/confirm")
    assert refused.status_code == 409 and "Confirm over capacity" in refused.get_data(as_text=True)
    assert fresh(c).status is W
    ok = client.htmx("post", f"/seminars/{seminar.id}/registrations/{c.id}/confirm", data={"over_capacity": "1"})
    assert ok.status_code == 200 and "Over capacity by 1" in ok.get_data(as_text=True)
    assert statuses(seminar) == [("甲", C, None), ("乙", W, 1), ("丙", C, None)]
    # Over capacity: a cancellation does not promote until a seat is really free.
    client.htmx("post", f"/seminars/{seminar.id}/registrations/{a.id}/cancel")
    assert statuses(seminar) == [("甲", X, None), ("乙", W, 1), ("丙", C, None)]
    client.htmx("post", f"/seminars/{seminar.id}/registrations/{c.id}/cancel")
    assert statuses(seminar) == [("甲", X, None), ("乙", C, None), ("丙", X, None)]
    mail = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to for m in mail] == [c.email, b.email]
    client.htmx("post", f"/seminars/{seminar.id}/registrations/{b.id}/waitlist")
    assert statuses(seminar)[1] == ("乙", W, 1)


def test_add_and_edit_registration(client, login_as, make_seminar, make_registration):
    seminar = make_seminar(capacity=1)
    make_registration(seminar, email="x@example.com")
    login_as("rep")
    bad = client.htmx("post", f"/seminars/{seminar.id}/registrations", data={"add-name": "", "add-email": "bad"})
    assert bad.status_code == 422 and "This field is required." in bad.get_data(as_text=True)
    dup = client.htmx("post", f"/seminars/{seminar.id}/registrations", data={"add-name": "王", "add-email": "x@example.com"})
    assert dup.status_code == 422 and "already registered" in dup.get_data(as_text=True)
    full = client.htmx("post", f"/seminars/{seminar.id}/registrations", data={"add-name": "赵六"})
    assert "number 1 on the waiting list" in full.get_data(as_text=True)
    assert db.session.scalar(select(Registration).where(Registration.name == "赵六")).waitlist_position == 1
    ok = client.htmx("post", f"/seminars/{seminar.id}/registrations",
                     data={"add-name": "王五", "add-company": "华信", "add-phone": "13900000000", "over_capacity": "1"})
    assert ok.status_code == 200 and ok.headers["HX-Trigger"] == "registrationsChanged"
    assert "Over capacity by 1" in ok.get_data(as_text=True)
    added = db.session.scalar(select(Registration).where(Registration.name == "王五"))
    assert added.status is C and added.email is None and added.company_name == "华信"
    page = client.get(f"/seminars/{seminar.id}/registrations/{added.id}/edit")
    assert page.status_code == 200 and "王五" in page.get_data(as_text=True)
    bad = client.post(f"/seminars/{seminar.id}/registrations/{added.id}/edit", data={"edit-name": "", "edit-phone": "x"})
    assert bad.status_code == 422 and fresh(added).name == "王五"
    ok = client.post(f"/seminars/{seminar.id}/registrations/{added.id}/edit",
                     data={"edit-name": "王五一", "edit-company": "华信眼镜", "edit-email": "w@example.com"})
    assert ok.status_code == 303
    assert (fresh(added).name, fresh(added).email) == ("王五一", "w@example.com")


def test_check_in_desk(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    a = make_registration(seminar, name="张三", company_name="明光眼镜", phone="138 0000 1111")
    b = make_registration(seminar, name="李四", status=W, waitlist_position=1)
    login_as("rep")
    page = client.get(f"/seminars/{seminar.id}/checkin").get_data(as_text=True)
    assert "0 checked in of 1 expected" in page
    found = client.htmx("get", f"/seminars/{seminar.id}/checkin?q=明光").get_data(as_text=True)
    assert "张三" in found and "<html" not in found and "hx-swap-oob" in found
    assert "张三" in client.htmx("get", f"/seminars/{seminar.id}/checkin?q=1111").get_data(as_text=True)
    done = client.htmx("post", f"/seminars/{seminar.id}/registrations/{a.id}/check_in", data={"from": "desk", "q": "张"})
    assert done.status_code == 200 and "1 checked in of 1 expected" in done.get_data(as_text=True)
    assert fresh(a).status is A and fresh(a).checked_in_at is not None
    by_code = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", data={"code": checkin_code(b).lower()})
    assert "李四 checked in." in by_code.get_data(as_text=True)
    assert fresh(b).status is A and fresh(b).waitlist_position is None
    again = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", data={"code": checkin_code(b)})
    assert "already checked in" in again.get_data(as_text=True)
    wrong = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", data={"code": "G1-FFFFFFFF"})
    assert wrong.status_code == 422 and "does not belong" in wrong.get_data(as_text=True)
    walk = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data={"walkin-name": "赵六", "walkin-company": "新客户"})
    assert walk.status_code == 303
    assert "赵六 added and checked in." in client.get(walk.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(Registration).where(Registration.name == "赵六")).status is A
    bad = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data={"walkin-name": ""})
    assert bad.status_code == 422
    count = client.htmx("get", f"/seminars/{seminar.id}/checkin/count").get_data(as_text=True)
    assert "3 checked in of 3 expected" in count


def test_no_shows_after_the_event(client, login_as, make_seminar, make_registration):
    start = utcnow() - timedelta(hours=5)
    seminar = make_seminar(starts_at=start, ends_at=start + timedelta(hours=2))
    a = make_registration(seminar)
    b = make_registration(seminar, status=A)
    future = make_seminar()
    login_as("rep")
    assert client.post(f"/seminars/{future.id}/no-shows").status_code == 409
    assert client.post(f"/seminars/{seminar.id}/no-shows").status_code == 303
    assert fresh(a).status is N and fresh(b).status is A
    assert fresh(seminar).status is SeminarStatus.HELD


@pytest.mark.parametrize("kind,text", [("attendees", "Attendee list"), ("sign-in", "Signature")])
def test_printables(client, login_as, make_seminar, make_registration, kind, text):
    seminar = make_seminar()
    make_registration(seminar, name="张三")
    make_registration(seminar, name="取消的人", status=X)
    login_as("rep")
    html = client.get(f"/seminars/{seminar.id}/print/{kind}").get_data(as_text=True)
    assert text in html and "张三" in html and "取消的人" not in html and "<thead>" in html


def test_printable_in_chinese(client, login_as, make_seminar):
    seminar = make_seminar()
    login_as("rep", locale="zh_Hans_CN")
    assert "签到表" in client.get(f"/seminars/{seminar.id}/print/sign-in").get_data(as_text=True)


def test_exports_never_start_a_formula(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="=HYPERLINK(\"http://x\")", company_name="+cmd", phone="-1", email="a@example.com")
    make_registration(seminar, name="张三", company_name="@SUM(1)")
    login_as("rep")
    response = client.get(f"/seminars/{seminar.id}/export.csv")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Name" and len(rows) == 3
    cells = [c for row in rows for c in row]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert "'=HYPERLINK(\"http://x\")" in cells
    response = client.get(f"/seminars/{seminar.id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert "张三" in values and not any(str(v).startswith(("=", "+", "-", "@")) for v in values)
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)


def test_leads_match_confirm_and_create(client, login_as, make_seminar, make_registration, make_company, make_contact,
                                        make_market):
    market = make_market("眼镜")
    seminar = make_seminar(market=market)
    known = make_company("温州市华信眼镜有限公司")
    make_contact(known, name="张三", phone="13800001111")
    doubtful = make_company("明光眼镜配件有限公司")
    exact = make_registration(seminar, name="张三", company_name="华信眼镜(温州)股份有限公司", status=A, phone="13800001111")
    unsure = make_registration(seminar, name="李四", company_name="明光眼镜", status=A)
    new = make_registration(seminar, name="王五", company_name="瑞安新光眼镜厂", status=A, email="w@example.com")
    make_registration(seminar, name="取消", company_name="华信眼镜", status=X)
    login_as("rep")
    page = client.get(f"/seminars/{seminar.id}/leads").get_data(as_text=True)
    assert "Same company: 温州市华信眼镜有限公司" in page and "Doubtful" in page and "明光眼镜配件有限公司" in page
    assert "Create new company" in page and "取消" not in page
    response = client.post(f"/seminars/{seminar.id}/leads", data={
        f"company-{exact.id}": str(known.id), f"company-{unsure.id}": str(doubtful.id), f"company-{new.id}": "new"})
    assert response.status_code == 303
    db.session.expire_all()
    assert fresh(exact).company_id == known.id and fresh(exact).contact.name == "张三"
    assert len(db.session.scalars(select(Contact).where(Contact.company_id == known.id)).all()) == 1
    assert fresh(unsure).company_id == doubtful.id and fresh(unsure).contact.name == "李四"
    created = db.session.scalar(select(Company).where(Company.name == "瑞安新光眼镜厂"))
    assert created.region_id == seminar.region_id and [m.name for m in created.markets] == ["眼镜"]
    assert fresh(new).contact.email == "w@example.com" and fresh(new).company_id == created.id
    assert "linked" in client.get(f"/seminars/{seminar.id}/leads").get_data(as_text=True)


def test_company_page_shows_seminar_attendance(client, login_as, make_seminar, make_registration, make_company):
    company = make_company("华信眼镜有限公司")
    seminar = make_seminar(title="激光焊接讲座")
    make_registration(seminar, name="张三", company_id=company.id, status=A)
    login_as("rep")
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    attendance = html[html.index('id="seminar-attendance"'):]
    assert "激光焊接讲座" in attendance and "张三" in attendance


def test_outbox_page_is_for_admins(client, login_as, make_seminar):
    seminar = make_seminar()
    client.post(f"/s/{seminar.slug}", data={"name": "张三", "phone": "13800001234", "email": "z@example.com", "consent": "y"})
    login_as("rep")
    assert client.get("/seminars/outbox").status_code == 403


def test_outbox_page_shows_mail(client, login_as, make_seminar):
    seminar = make_seminar()
    client.post(f"/s/{seminar.slug}", data={"name": "张三", "phone": "13800001234", "email": "z@example.com", "consent": "y"})
    login_as("admin", None)
    html = client.get("/seminars/outbox").get_data(as_text=True)
    assert "z@example.com" in html and "Confirmed:" in html and "not sent" in html


def test_inline_edit_of_a_registration(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    reg = make_registration(seminar, name="王五", company_name="华信")
    login_as("rep")
    row = client.htmx("get", f"/seminars/{seminar.id}/registrations/{reg.id}/edit")
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.lstrip().startswith("<tr") and 'value="华信"' in html
    bad = client.htmx("post", f"/seminars/{seminar.id}/registrations/{reg.id}/edit", data={"edit-name": ""})
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == f"#reg-{reg.id}"
    assert fresh(reg).name == "王五"
    ok = client.htmx("post", f"/seminars/{seminar.id}/registrations/{reg.id}/edit",
                     data={"edit-name": "王五", "edit-company": "华信眼镜"})
    assert ok.status_code == 200 and 'id="registrations"' in ok.get_data(as_text=True)
    assert fresh(reg).company_name == "华信眼镜"


def test_plain_forms_get_a_303_after_each_write(client, login_as, make_seminar, make_registration, make_region):
    """Without JavaScript every write ends in a redirect back to the panel it came from."""
    seminar = make_seminar(capacity=1)
    expert = Expert(region=make_region("Wenzhou"), name="陈工", organisation=Organisation.RND)
    db.session.add(expert)
    db.session.commit()
    login_as("rep")
    response = client.post(f"/seminars/{seminar.id}/speakers", data={"speaker-expert_id": expert.id})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/seminars/{seminar.id}#program")
    speaker = fresh(seminar).speakers[0]
    response = client.post(f"/seminars/{seminar.id}/speakers/{speaker.id}/delete")
    assert response.status_code == 303 and fresh(seminar).speakers == []
    first = make_registration(seminar)
    waiting = make_registration(seminar, status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    response = client.post(f"/seminars/{seminar.id}/registrations/{first.id}/cancel")
    assert response.status_code == 303 and response.headers["Location"].endswith("#registrations")
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status is RegistrationStatus.CONFIRMED
