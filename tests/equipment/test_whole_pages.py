"""Every htmx form of the equipment pages, submitted as htmx submits it, lands on a whole page or
answers with the fragment of the element it swaps (as tests/test_whole_pages.py does for the rest)."""
import io

from werkzeug.datastructures import MultiDict

from tests.test_whole_pages import SKIP_ACTIONS, htmx_forms


def test_every_htmx_form_of_the_equipment_pages(client, login_as, make_company, make_part, make_machine, stock,
                                                make_region):
    user = login_as("manager")
    from app.auth.models import user_regions
    from app.extensions import db
    db.session.execute(user_regions.insert().values(user_id=user.id, region_id=make_region("Wuxi").id))
    db.session.commit()
    company = make_company("温州华信眼镜有限公司")
    make_machine(company, serial="SN-1")
    row = stock(make_part("P-100"), on_hand=4, minimum=6)
    csv = "客户名称,设备型号,出厂编号\n温州华信眼镜有限公司,GX-500,SN-2\n".encode()
    response = client.post("/equipment/import", data={"file": (io.BytesIO(csv), "m.csv"), "region_id": company.region_id},
                           content_type="multipart/form-data")
    preview = response.headers["Location"]
    pages = [f"/companies/{company.id}", f"/equipment/company/{company.id}", "/equipment/", "/stock/",
             f"/stock/{row.id}", "/stock/reorder", "/parts/", preview]
    sent_on, swapped = [], []
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        for form in htmx_forms(page.get_data(as_text=True), client):
            if any(part in form["action"] for part in SKIP_ACTIONS) or "/equipment" not in form["action"] \
                    and "/stock" not in form["action"]:
                continue
            data = MultiDict(form["data"])
            for key in list(data):
                if key.endswith("quantity") and not data.get(key):
                    data[key] = "1"
            response = client.htmx("post", form["action"], target=form["target"], data=data)
            if "HX-Location" in response.headers:
                sent_on.append(form["action"])
            else:
                assert response.status_code in (200, 422), (form["action"], response.status_code)
                assert "<html" not in response.get_data(as_text=True), (form["action"], form["target"])
                swapped.append(form["action"])
    assert f"/stock/{row.id}/receive" in swapped and f"/stock/{row.id}/issue" in swapped
    assert f"/stock/{row.id}/transfer" in swapped and f"{preview}/dry-run" in swapped
    assert f"/equipment/company/{company.id}/new" in swapped and "/stock/add" in swapped
