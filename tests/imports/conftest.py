"""Factories for directory files: CSV in each encoding and .xlsx workbooks, with messy rows."""
import csv
import io

import pytest

from app.extensions import db

HEADER = ["企业名称", "联系人", "职务", "手机", "地址", "主营产品", "员工人数"]
ROWS = [
    ["温州华信眼镜有限公司", "李志强", "设备主管", "138 0000 1111", "温州市瓯海区娄桥工业区", "光学眼镜架", "320"],
    ["  瑞安明光笔业股份有限公司  ", "陈小芳", "总经理", "13900002222", "瑞安市经济开发区", "圆珠笔、中性笔", "约150人"],
    ["", "", "", "", "", "", ""],
    ["浙江宏达包装科技有限公司", "王海", "采购经理", "13700003333", "龙湾区", "纸箱包装", "80"],
    ["企业名称", "联系人", "职务", "手机", "地址", "主营产品", "员工人数"],
    ["温州东方电器有限公司（温州）", "赵敏", "厂长", "13600004444", "乐清市柳市镇", "低压电器", "1,200"],
    ["", "张三", "", "13500005555", "", "", ""],
]


def csv_bytes(rows=None, encoding="utf-8", header=HEADER, title=True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    if title:
        writer.writerow(["温州市眼镜商会会员名录（2026年）"])
    writer.writerow(header)
    writer.writerows(ROWS if rows is None else rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows=None, header=HEADER, formulas=False) -> bytes:
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["温州市眼镜商会会员名录"])
    sheet.append(header)
    for row in (ROWS if rows is None else rows):
        sheet.append([int(v.replace(",", "")) if v.replace(",", "").isdigit() and len(v) < 6 else v for v in row])
    if formulas:
        sheet.append(["=HYPERLINK(\"http://evil\",\"点我\")", "钱七", "", "", "", "", "=1+1"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def make_association(app, make_region, make_market):
    from app.associations.models import Association

    def make(name="温州市眼镜商会", region="Wenzhou", markets=(), **kw):
        association = Association(name=name, region=make_region(region), **kw)
        association.markets = list(markets)
        db.session.add(association)
        db.session.commit()
        return association
    return make


@pytest.fixture
def upload(client):
    """Upload a file to an association's import page; returns the response."""
    def send(association, filename, data, encoding="", htmx=False):
        payload = {"file": (io.BytesIO(data), filename), "encoding": encoding}
        if htmx:
            return client.htmx("post", f"/associations/{association.id}/import", data=payload,
                               content_type="multipart/form-data")
        return client.post(f"/associations/{association.id}/import", data=payload,
                           content_type="multipart/form-data")
    return send
