"""The directory import as a new user met it: the steps follow the dry run, the import button is in
reach, zero counts are not alarms, a template and the expected columns are offered, new companies
join the association's markets, the done page lists the contacts added, and a value longer than its
column is reported in the dry run."""
import csv
import io
import re

import openpyxl
from sqlalchemy import select

from app.accounts.models import Company
from app.extensions import db
from tests.imports.conftest import csv_bytes


def _uploaded(client, upload, association, data=None):
    response = upload(association, "directory.csv", data or csv_bytes())
    assert response.status_code == 303
    return int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))


def test_the_dry_run_moves_the_steps_on_and_brings_the_report_into_view(client, login_as, make_association, upload):
    login_as("rep")
    association = make_association()
    batch_id = _uploaded(client, upload, association)
    page = client.get(f"/associations/imports/{batch_id}").get_data(as_text=True)
    assert re.search(r'<li aria-current="step">2 Check the columns</li>', page)
    assert 'hx-swap="outerHTML show:#report:top"' in page
    fragment = client.htmx("post", f"/associations/imports/{batch_id}/dry-run", target="report").get_data(as_text=True)
    assert "<html" not in fragment
    steps = fragment[:fragment.index('<section id="report"')]
    assert 'id="import-steps"' in steps and 'hx-swap-oob="true"' in steps
    assert re.search(r'<li aria-current="step">3 Dry run</li>', steps)
    assert 'class="commit-bar sticky-bar"' in fragment
    # Without htmx the whole page says step 3, once.
    page = client.post(f"/associations/imports/{batch_id}/dry-run").get_data(as_text=True)
    assert page.count('id="import-steps"') == 1 and '<li aria-current="step">3 Dry run</li>' in page


def test_zero_counts_are_not_shown_as_alarms(client, login_as, make_association, upload):
    login_as("rep")
    association = make_association()
    rows = [["温州华信眼镜有限公司", "李志强", "设备主管", "138 0000 1111", "温州市瓯海区", "光学眼镜架", "320"]]
    batch_id = _uploaded(client, upload, association, csv_bytes(rows))
    body = client.post(f"/associations/imports/{batch_id}/dry-run").get_data(as_text=True)
    assert '<div class="rejected zero"><strong>0</strong>' in body
    assert '<div class="doubt zero"><strong>0</strong>' in body
    assert '<div class="created"><strong>1</strong>' in body


def test_upload_page_lists_the_columns_and_offers_a_template(client, login_as, make_association):
    login_as("rep")
    association = make_association()
    page = client.get(f"/associations/{association.id}/import").get_data(as_text=True)
    assert "Columns Grove reads" in page and "Company name <strong>(required)</strong>" in page
    assert "企业名称、公司名称、单位名称" in page and "Equipment on site" in page
    response = client.get(f"/associations/{association.id}/import/template.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Company name", "Short name", "Contact person"] and len(rows) == 2
    workbook = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/associations/{association.id}/import/template.xlsx").get_data()))
    assert [c.value for c in next(workbook.active.iter_rows(max_row=1))][0] == "Company name"


def test_the_template_reads_back_with_every_column_mapped(client, login_as, make_association, upload):
    login_as("rep", locale="zh_Hans_CN")
    association = make_association()
    template = client.get(f"/associations/{association.id}/import/template.csv",
                          headers={"Accept-Language": "zh-CN"}).get_data()
    batch_id = _uploaded(client, upload, association, template)
    page = client.get(f"/associations/imports/{batch_id}").get_data(as_text=True)
    assert page.count('value="name" selected') == 1 and page.count('value="equipment" selected') == 1


def test_new_companies_join_the_associations_markets(client, login_as, make_association, upload, make_market):
    login_as("rep")
    glasses, pens = make_market("眼镜"), make_market("制笔")
    association = make_association(markets=[glasses, pens])
    batch_id = _uploaded(client, upload, association)
    assert "New companies join the association’s markets: 眼镜、制笔." in client.post(
        f"/associations/imports/{batch_id}/dry-run").get_data(as_text=True)
    client.post(f"/associations/imports/{batch_id}/commit")
    company = db.session.scalar(select(Company).where(Company.name == "温州华信眼镜有限公司"))
    assert {m.name for m in company.markets} == {"眼镜", "制笔"}
    listed = client.get(f"/companies/?market={glasses.id}").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in listed
    client.post(f"/associations/imports/{batch_id}/undo")
    assert db.session.scalar(select(Company).where(Company.name == "温州华信眼镜有限公司")) is None


def test_the_done_page_lists_the_contacts_added(client, login_as, make_association, upload):
    login_as("rep")
    association = make_association()
    batch_id = _uploaded(client, upload, association)
    client.post(f"/associations/imports/{batch_id}/dry-run")
    client.post(f"/associations/imports/{batch_id}/commit")
    page = client.get(f"/associations/imports/{batch_id}").get_data(as_text=True)
    assert "4 contacts added" in page
    for name in ("李志强", "陈小芳", "王海", "赵敏"):
        assert name in page
    assert "温州华信眼镜有限公司" in page


def test_values_longer_than_their_column_are_reported(client, login_as, make_association, upload):
    login_as("rep")
    association = make_association()
    long_name = "温州" + "华" * 210 + "有限公司"
    long_address = "温州市瓯海区" + "路" * 320
    rows = [[long_name, "李志强", "设备主管", "138 0000 1111", "温州市瓯海区", "光学眼镜架", "320"],
            ["温州宏达包装有限公司", "王海", "采购经理", "13700003333", long_address, "纸箱包装", "80"]]
    batch_id = _uploaded(client, upload, association, csv_bytes(rows))
    body = client.post(f"/associations/imports/{batch_id}/dry-run").get_data(as_text=True)
    assert "The company name has 216 characters; Grove keeps at most 200." in body
    assert "Values longer than Grove keeps" in body and "Address: 300 of 326 characters kept" in body
    client.post(f"/associations/imports/{batch_id}/commit")
    assert db.session.scalar(select(Company).where(Company.name.like("温州华华%"))) is None
    assert len(db.session.scalar(select(Company.address).where(Company.name == "温州宏达包装有限公司"))) == 300
