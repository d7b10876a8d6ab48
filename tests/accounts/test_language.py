"""Chinese and English: the user's stored choice, else the browser's; every accounts label translated."""
from app.accounts.models import Stage
from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_browser_language_when_the_user_has_not_chosen(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company(stage=Stage.TARGET)
    zh = client.get("/companies/", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans" ' in zh and "新建公司" in zh and "目标客户" in zh and "English" in zh
    en = client.get("/companies/", headers=EN).get_data(as_text=True)
    assert '<html lang="en" ' in en and "New company" in en and "Target" in en and "中文" in en


def test_switch_to_chinese_is_stored_and_beats_the_browser(client, login_as):
    user = login_as("rep", "Wenzhou")
    response = client.post("/language", data={"locale": "zh_Hans_CN", "next": "/companies/?q=华信"}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"] == "/companies/?q=%E5%8D%8E%E4%BF%A1"
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hans_CN"
    assert "新建公司" in client.get("/companies/", headers=EN).get_data(as_text=True)


def test_switch_to_english_is_stored_and_beats_a_chinese_browser(client, login_as):
    user = login_as("rep", "Wenzhou", locale="zh_Hans_CN")
    assert "新建公司" in client.get("/companies/", headers=ZH).get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/companies/"}, headers=ZH)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    body = client.get("/companies/", headers=ZH).get_data(as_text=True)
    assert "New company" in body and "新建公司" not in body


def test_the_stored_choice_follows_the_user_to_a_new_browser(app, client, login_as):
    user = login_as("rep", "Wenzhou", locale="zh_Hans_CN")
    fresh = app.test_client()  # another browser: no session, an English Accept-Language
    fresh.post("/login", data={"email": user.email, "password": PASSWORD}, headers=EN)
    assert "新建公司" in fresh.get("/companies/", headers=EN).get_data(as_text=True)


def test_signed_out_visitors_switch_for_the_session(client):
    assert "登录 Grove" in client.get("/login", headers=ZH).get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/login"}, headers=ZH)
    assert "Sign in to Grove" in client.get("/login", headers=ZH).get_data(as_text=True)


def test_unknown_language_and_foreign_next_are_ignored(client, login_as):
    login_as("rep", "Wenzhou")
    response = client.post("/language", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_company_pages_in_chinese(client, login_as, make_company, make_contact):
    login_as("rep", "Wenzhou", locale="zh_Hans_CN")
    company = make_company("温州华信眼镜有限公司")
    contact = make_contact(company, "李志强", strength=3)
    contact.roles = ["key_person", "decision_maker", "node"]
    db.session.commit()
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    for text in ("联系人", "关键人", "决策人", "节点人物", "背景", "负责人", "采购机会", "订单", "添加联系人", "关系强度 3/5"):
        assert text in body, text
    form = client.get("/companies/new").get_data(as_text=True)
    for text in ("新建公司", "公司名称", "阶段", "等级", "负责人", "员工人数", "现有竞争对手", "保存", "取消"):
        assert text in form, text


def test_error_pages_in_chinese(client, login_as):
    login_as("rep", "Wenzhou", locale="zh_Hans_CN")
    body = client.get("/companies/999999").get_data(as_text=True)
    assert "未找到" in body and "返回 Grove" in body
    fragment = client.htmx("get", "/companies/999999").get_data(as_text=True)
    assert "未找到" in fragment and "<html" not in fragment
