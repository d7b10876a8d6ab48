"""The admin's regions page: names in both languages and the time zone; pages show the reader's name."""
import re

from app.auth.models import Region
from app.extensions import db
from tests.conftest import assert_whole_page


def _edit(client, region, **data):
    form = {"name": region.name, "name_zh": region.name_zh or "", "timezone": region.timezone} | data
    return client.post(f"/admin/regions/{region.id}", data=form)


def test_admin_lists_and_renames_a_region(client, login_as, make_region):
    login_as("admin", None)
    region = make_region("Wenzhou")
    page = client.get("/admin/regions")
    assert_whole_page(page)
    assert "Wenzhou" in page.get_data(as_text=True)
    response = _edit(client, region, name_zh="温州", timezone="Asia/Urumqi")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/regions")
    db.session.expire_all()
    region = db.session.get(Region, region.id)
    assert (region.name, region.name_zh, region.timezone) == ("Wenzhou", "温州", "Asia/Urumqi")


def test_chinese_pages_show_the_chinese_name(client, login_as, make_region, make_market):
    region = make_region("Wenzhou")
    region.name_zh = "温州"
    db.session.commit()
    market = make_market(name="眼镜")
    login_as("manager", "Wenzhou", locale="zh_Hans_CN")
    chinese = client.get(f"/markets/{market.id}").get_data(as_text=True)
    assert "温州" in chinese and "Wenzhou" not in chinese
    client.post("/language", data={"locale": "en"})
    english = client.get(f"/markets/{market.id}").get_data(as_text=True)
    assert "Wenzhou" in english


def test_bad_region_input_is_refused_at_the_field(client, login_as, make_region):
    login_as("admin", None)
    region, other = make_region("Wenzhou"), make_region("Wuxi")
    for data, message in (({"name": ""}, "Enter the region"), ({"name": " wuxi "}, "Another region has this name"),
                          ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
                          ({"name": "x" * 81}, "longer than 80"), ({"name_zh": "温" * 81}, "longer than 80")):
        response = _edit(client, region, **data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    db.session.expire_all()
    assert db.session.get(Region, region.id).name == "Wenzhou" and db.session.get(Region, other.id).name == "Wuxi"


def test_regions_are_for_admins_only(client, login_as, make_region):
    region = make_region("Wenzhou")
    login_as("manager", "Wenzhou")
    assert client.get("/admin/regions").status_code == 403
    assert _edit(client, region, name="Elsewhere").status_code == 403
    assert db.session.get(Region, region.id).name == "Wenzhou"


def test_admin_adds_a_region_then_a_user_in_it(client, login_as):
    login_as("admin", None)
    form = client.get("/admin/regions/new")
    assert_whole_page(form)
    assert re.search(r'<option selected value="Asia/Shanghai">', form.get_data(as_text=True))
    response = client.post("/admin/regions/new", data={"name": " Taizhou ", "name_zh": "台州", "timezone": "Asia/Shanghai"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/regions")
    region = db.session.scalar(db.select(Region).filter_by(name="Taizhou"))
    assert (region.name_zh, region.timezone) == ("台州", "Asia/Shanghai")
    assert "Taizhou" in client.get("/admin/users/invite").get_data(as_text=True)


def test_a_new_region_with_bad_input_is_refused_and_kept(client, login_as, make_region):
    make_region("Wenzhou")
    login_as("admin", None, locale="zh_Hans_CN")
    for data, message in (({"name": ""}, "请填写大区"), ({"name": "wenzhou"}, "已有大区使用"),
                          ({"timezone": "Mars/Olympus"}, "")):
        response = client.post("/admin/regions/new", data={"name": "Taizhou", "name_zh": "台州", "timezone": "Asia/Shanghai"} | data)
        assert response.status_code == 422, data
        page = response.get_data(as_text=True)
        assert message in page and "台州" in page, data
    assert db.session.scalar(db.select(db.func.count(Region.id))) == 1


def test_a_region_name_outside_ascii_is_refused_a_second_time(client, login_as, make_region):
    # SQLite's lower() folds ASCII only: the check must see the same name as the unique index does.
    make_region("Wenzhou")
    login_as("admin", None)
    data = {"name": "Ärhus", "timezone": "Asia/Shanghai"}
    assert client.post("/admin/regions/new", data=data).status_code == 303
    again = client.post("/admin/regions/new", data=data | {"name": " Ärhus "})
    assert again.status_code == 422 and "Another region has this name." in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Region.id))) == 2


def test_adding_a_region_is_for_admins_only(client, login_as, make_region):
    make_region("Wenzhou")
    login_as("manager", "Wenzhou")
    assert client.get("/admin/regions/new").status_code == 403
    assert client.post("/admin/regions/new", data={"name": "Taizhou", "timezone": "Asia/Shanghai"}).status_code == 403
    assert db.session.scalar(db.select(db.func.count(Region.id))) == 1
