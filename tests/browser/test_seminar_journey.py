"""Seminars in Chromium at phone width: an attendee signs up, waits, is promoted by a cancellation,
opens the confirmation and downloads the calendar file; a desk helper checks people in; the
sign-in sheet prints on A4."""
import io
import re
from pathlib import Path
from urllib.request import urlopen

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.experts.models import Expert, Organisation
from app.extensions import db
from app.seminars.models import Question, QuestionKind, Registration, RegistrationStatus, Speaker
from app.seminars.services import checkin_code
from tests.browser.conftest import ARTIFACTS, CHROMIUM, PHONE
from tests.browser.pdf import page_texts, render_pages
from tests.seminars.conftest import make_registration, make_seminar


def _seminar_with_program(make_seminar, make_region, **kw):
    seminar = make_seminar(title="眼镜行业激光焊接与节能改造技术讲座", abstract=(
        "温州眼镜商会会员专场：激光焊接替代传统钎焊的工艺要点、能耗对比，以及两家会员企业的改造案例。"), **kw)
    expert = Expert(region=make_region("Wenzhou"), name="陈立新", organisation=Organisation.RND, title="研发中心高级工程师")
    seminar.speakers.append(Speaker(expert=expert, talk_title="激光焊接在镜架生产中的应用"))
    seminar.questions.append(Question(label="是否需要安排午餐？", kind=QuestionKind.YES_NO))
    db.session.commit()
    return seminar


def test_public_sign_up_waitlist_promotion_and_ics(new_page, make_seminar, make_registration, make_region, shot):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=1)
    holder = make_registration(seminar, name="王先到", email="first@example.com")
    page = new_page(locale="zh-CN", phone=True)
    page.goto(f"/s/{seminar.slug}")
    expect(page.get_by_role("heading", name=seminar.title)).to_be_visible()
    expect(page.locator("#signup")).to_contain_text("座位已满")
    shot(page, "seminar-public-zh-phone")
    page.set_viewport_size({"width": 360, "height": 740})  # the smallest phone the page must fit
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "seminar-public-zh-360")

    page.get_by_label("您的姓名").fill("李候补")
    page.get_by_label("您的公司").fill("温州明光眼镜有限公司")
    page.get_by_label("您的职务").fill("设备主管")
    page.get_by_label("手机号码").fill("138 0000 2222")
    page.get_by_label("您的邮箱").fill("bad-address")
    page.get_by_label("我同意").check()
    page.get_by_role("button", name="加入候补名单").click()
    expect(page.locator("#email-error")).to_be_visible()
    page.get_by_label("您的邮箱").fill("li@example.com")
    page.get_by_role("button", name="加入候补名单").click()
    expect(page.get_by_role("status")).to_contain_text("您在候补名单第 1 位")
    my_page = page.url
    assert "/s/r/" in my_page

    # The first attendee cancels from their own private link; the waiting one gets the seat.
    other = new_page(locale="zh-CN", phone=True)
    other.goto(f"/s/r/{holder.cancel_token}")
    other.get_by_text("取消我的报名").click()
    other.get_by_role("button", name="确定取消").click()
    expect(other.get_by_role("status")).to_contain_text("此报名已取消")

    page.goto(my_page)
    expect(page.get_by_role("status")).to_contain_text("您的座位已确认")
    expect(page.get_by_role("img", name="签到二维码")).to_be_visible()
    shot(page, "seminar-confirmation-zh-phone")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile(r"\.ics")).click()
    ics = Path(download_info.value.path()).read_text()
    assert "BEGIN:VEVENT" in ics and "TZID=Asia/Shanghai" in ics and seminar.title in ics

    db.session.rollback()
    rows = {r.email: r for r in db.session.scalars(select(Registration))}
    assert rows["li@example.com"].status is RegistrationStatus.CONFIRMED
    assert rows["first@example.com"].status is RegistrationStatus.CANCELLED


def test_public_page_english_desktop(new_page, make_seminar, make_region, shot):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=30)
    page = new_page(locale="en-US")
    page.goto(f"/s/{seminar.slug}")
    expect(page.locator("#seats")).to_contain_text("30 of 30 seats left")
    page.get_by_label("Your name").fill("Li Wei")
    page.get_by_label("Your mobile phone").fill("139 1234 5678")
    page.get_by_label("Your e-mail").fill("liwei@example.com")
    page.get_by_label("Yes").check()
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("Your seat is confirmed.")
    shot(page, "seminar-confirmation-en-desktop")


def test_check_in_desk_on_a_phone(new_page, login, make_user, make_seminar, make_registration, make_region, shot):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=40)
    zhang = make_registration(seminar, name="张建国", company_name="温州华信眼镜有限公司", phone="138 0000 1111")
    li = make_registration(seminar, name="李明", company_name="瑞安新光眼镜厂", phone="139 1234 5678")
    wang = make_registration(seminar, name="王五", company_name="乐清精工光学股份有限公司")
    for i in range(5):
        make_registration(seminar, name=f"参会人{i}", company_name="温州明光眼镜有限公司")
    helper = make_user("rep", "Wenzhou", name="前台小王", locale="zh_Hans_CN")
    page = new_page(locale="zh-CN", phone=True)
    login(page, helper)
    page.goto(f"/seminars/{seminar.id}/checkin")
    expect(page.locator("#desk-count")).to_contain_text("已签到 0 / 应到 8")

    page.get_by_label("按姓名、公司或电话查找").fill("华信")
    row = page.locator(".desk-list li", has_text="张建国")
    expect(row).to_be_visible()
    row.get_by_role("button", name="签到").click()
    expect(page.locator("#desk-results")).to_contain_text("✓")
    expect(page.locator("#desk-count")).to_contain_text("已签到 1 / 应到 8")

    # A scanner app types the QR code into the code field and presses enter.
    page.get_by_label("扫描或输入确认码").fill(checkin_code(li))
    page.get_by_label("扫描或输入确认码").press("Enter")
    expect(page.locator(".desk-message")).to_have_text("李明已签到。")
    expect(page.get_by_label("扫描或输入确认码")).to_have_value("")
    expect(page.locator("#desk-count")).to_contain_text("已签到 2 / 应到 8")
    page.wait_for_load_state("networkidle")  # the code's swap has settled before the next search

    page.get_by_label("按姓名、公司或电话查找").fill("5678")
    expect(page.locator(".desk-list li", has_text="李明")).to_contain_text("✓")
    shot(page, "seminar-checkin-desk-zh-phone")

    # The walk-in form takes the name just searched.
    page.get_by_label("按姓名、公司或电话查找").fill("赵现场")
    expect(page.locator("#desk-results")).to_contain_text("未找到")
    page.get_by_text("添加现场报名").click()
    expect(page.locator("#walkin-name")).to_have_value("赵现场")
    page.locator("#walkin-company").fill("永嘉新客户阀门厂")
    page.get_by_role("button", name="添加并签到").click()
    expect(page.locator(".desk-message")).to_have_text("已添加赵现场并签到。")
    expect(page.locator("#desk-count")).to_contain_text("已签到 3 / 应到 9")
    assert "/checkin/walk-in" not in page.url  # a page of its own after the POST: a refresh only reads
    page.reload()
    expect(page.locator("#desk-count")).to_contain_text("已签到 3 / 应到 9")
    shot(page, "seminar-checkin-walk-in-zh-phone")

    # A phone without a camera (this browser has none): it says so and the code is typed.
    page.get_by_role("button", name="用摄像头扫码").click()
    expect(page.locator("#scan-status")).to_contain_text("无法使用摄像头")
    expect(page.get_by_label("扫描或输入确认码")).to_be_focused()
    page.get_by_label("扫描或输入确认码").fill(checkin_code(wang).lower().replace("-", " "))
    page.get_by_label("扫描或输入确认码").press("Enter")
    expect(page.locator(".desk-message")).to_have_text("王五已签到。")
    # After each check-in the cursor is back in the code field, for the next person.
    expect(page.get_by_label("扫描或输入确认码")).to_be_focused()
    expect(page.get_by_label("扫描或输入确认码")).to_have_value("")

    db.session.rollback()
    statuses = {r.name: r.status for r in db.session.scalars(select(Registration))}
    assert statuses["张建国"] is statuses["李明"] is statuses["赵现场"] is statuses["王五"] is RegistrationStatus.ATTENDED
    assert len(db.session.scalars(select(Registration).where(Registration.name == "赵现场")).all()) == 1
    assert zhang.id


def _camera_file(path: Path, png: bytes) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a QR code image held up on white."""
    width, height = 640, 480
    code = Image.open(io.BytesIO(png)).convert("L")
    code = code.resize((300, 300), Image.NEAREST)
    picture = Image.new("L", (width, height), 255)
    picture.paste(code, ((width - 300) // 2, (height - 300) // 2))
    luma = bytes(16 + v * 219 // 255 for v in picture.tobytes())
    chroma = bytes([128]) * (width * height // 4)
    frame = b"FRAME\n" + luma + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * 10)
    return path


def test_check_in_desk_scans_the_confirmation_with_the_camera(browser, live_server, login, make_user, make_seminar,
                                                              make_registration, make_region, shot, tmp_path):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=40)
    li = make_registration(seminar, name="李明", company_name="瑞安新光眼镜厂")
    helper = make_user("rep", "Wenzhou", name="前台小王", locale="zh_Hans_CN")
    # A phone whose camera sees the attendee's confirmation code, as their registration page shows it.
    with urlopen(f"{live_server}/s/r/{li.cancel_token}/qr.png") as answer:
        camera = _camera_file(tmp_path / "camera.y4m", answer.read())
    phone = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}"])
    try:
        context = phone.new_context(base_url=live_server, locale="zh-CN", viewport=PHONE,
                                    extra_http_headers={"Accept-Language": "zh-CN"})
        context.grant_permissions(["camera"])
        page = context.new_page()
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        login(page, helper)
        page.goto(f"/seminars/{seminar.id}/checkin")
        expect(page.locator("#desk-count")).to_contain_text("已签到 0 / 应到 1")
        page.get_by_role("button", name="用摄像头扫码").click()
        expect(page.locator("#scan-video")).to_be_visible()
        expect(page.locator(".desk-message")).to_have_text("李明已签到。", timeout=20_000)
        expect(page.locator("#desk-count")).to_contain_text("已签到 1 / 应到 1")
        shot(page, "seminar-checkin-camera-zh-phone")
        # The same code still in front of the camera is not sent again and again.
        page.wait_for_timeout(1500)
        expect(page.locator(".desk-message")).to_have_text("李明已签到。")
        page.get_by_role("button", name="关闭摄像头").click()
        expect(page.locator("#scan-video")).to_be_hidden()
        assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    finally:
        phone.close()
    db.session.rollback()
    assert db.session.get(Registration, li.id).status is RegistrationStatus.ATTENDED


def test_sign_in_sheet_prints_on_a4(new_page, login, make_user, make_seminar, make_registration, make_region, shot):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=80)
    companies = ["温州华信眼镜有限公司", "瑞安新光眼镜厂", "温州明光眼镜有限公司", "乐清精工光学股份有限公司"]
    for i in range(45):
        make_registration(seminar, name=f"参会人{i:02d}", company_name=companies[i % 4], phone=f"138 0000 {i:04d}",
                          title="设备主管" if i % 3 else "车间主任")
    manager = make_user("manager", "Wenzhou", locale="zh_Hans_CN")
    page = new_page(locale="zh-CN")
    login(page, manager)
    page.goto(f"/seminars/{seminar.id}/print/sign-in")
    expect(page.locator("table.sheet")).to_contain_text("签名")
    pdf = ARTIFACTS / "screenshots" / "seminar-sign-in-sheet.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    pages = render_pages(pdf)
    assert len(pages) >= 2
    texts = page_texts(pdf)
    text = "\n".join(texts)
    # The header (title and column names) repeats on every printed page; nobody is cut off.
    assert all("签名" in page_text for page_text in texts) and "参会人44" in text and "参会人00" in text
    assert re.search(r"眼镜行业激光焊接", text)


def test_staff_manage_registrations_inline(new_page, login, make_user, make_seminar, make_registration, make_region,
                                           shot):
    seminar = _seminar_with_program(make_seminar, make_region, capacity=2)
    make_registration(seminar, name="张建国", company_name="温州华信眼镜有限公司")
    leaving = make_registration(seminar, name="李明", company_name="瑞安新光眼镜厂")
    make_registration(seminar, name="王候补", status=RegistrationStatus.WAITLISTED, waitlist_position=1)
    make_registration(seminar, name="赵候补", status=RegistrationStatus.WAITLISTED, waitlist_position=2)
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    page = new_page(locale="en-US")
    login(page, rep)
    page.goto(f"/seminars/{seminar.id}")
    panel = page.locator("#registrations")
    expect(panel.locator("#seat-meter")).to_contain_text("2 / 2 seats taken")

    panel.locator(f"#reg-{leaving.id}").get_by_role("button", name="Cancel").click()
    expect(panel).to_contain_text("王候补 moved up from the waiting list")
    row = panel.locator("tr", has_text="赵候补")
    row.get_by_role("button", name="Confirm").click()
    expect(panel).to_contain_text("No seat is free")
    panel.locator("tr", has_text="赵候补").get_by_role("button", name="Confirm over capacity").click()
    expect(panel.locator("#seat-meter")).to_contain_text("Over capacity by 1, on purpose.")

    panel.locator("tr", has_text="张建国").get_by_role("link", name="Edit").click()
    editing = panel.locator("tr.editing")
    editing.get_by_label("Attendee job title").fill("设备主管")
    editing.get_by_role("button", name="Save").click()
    expect(panel.locator("tr", has_text="张建国")).to_contain_text("设备主管")
    shot(page, "seminar-staff-registrations-en")

    db.session.rollback()
    statuses = {r.name: r.status for r in db.session.scalars(select(Registration))}
    assert statuses == {"张建国": RegistrationStatus.CONFIRMED, "李明": RegistrationStatus.CANCELLED,
                        "王候补": RegistrationStatus.CONFIRMED, "赵候补": RegistrationStatus.CONFIRMED}

    phone = new_page(locale="zh-CN", phone=True)
    login(phone, rep)
    phone.goto(f"/seminars/{seminar.id}")
    expect(phone.locator("#seat-meter")).to_contain_text("已特意超额 1 人")
    shot(phone, "seminar-staff-detail-zh-phone")
