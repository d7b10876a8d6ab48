"""What people type in a search box is text to find: `%`, `_` and `\\` are no wildcards, in any list."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Company
from app.core.like import contains
from app.core.types import utcnow
from app.extensions import db
from tests.seminars.conftest import make_seminar

NAMES = ["省50%能耗机床厂", "A_1 精密机床", "AB1 精密机床", "C:\\路径机床", "温州华信眼镜有限公司"]


@pytest.mark.parametrize("term, found", [
    ("%", ["省50%能耗机床厂"]), ("50%", ["省50%能耗机床厂"]), ("_", ["A_1 精密机床"]),
    ("A_1", ["A_1 精密机床"]), ("a_1", ["A_1 精密机床"]), ("\\", ["C:\\路径机床"]), ("\\%", []),
    ("ab1", ["AB1 精密机床"]), ("机床", ["省50%能耗机床厂", "A_1 精密机床", "AB1 精密机床", "C:\\路径机床"]),
])
def test_contains_takes_the_term_as_typed(app, make_company, term, found):
    for name in NAMES:
        make_company(name)
    with app.test_request_context():
        names = db.session.scalars(select(Company.name).where(contains(Company.name, term))).all()
    assert sorted(names) == sorted(found)


@pytest.mark.parametrize("url, shown", [
    ("/companies/", "温州华信眼镜有限公司"), ("/experts/", "周工程师"), ("/associations/", "温州市眼镜商会"),
    ("/seminars/", "眼镜行业激光焊接技术讲座"), ("/visits/", "温州华信眼镜有限公司"), ("/admin/audit", "温州华信眼镜有限公司"),
])
@pytest.mark.parametrize("wildcard", ["%", "_", "%%", "_%_"])
def test_a_wildcard_finds_nothing_in_a_list(client, login_as, make_company, make_expert, make_association,
                                            make_seminar, make_visit, url, shown, wildcard):
    user = login_as("admin" if url.startswith("/admin") else "manager", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    make_expert("周工程师")
    make_association("温州市眼镜商会")
    make_seminar("眼镜行业激光焊接技术讲座")
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    make_visit(company, start, start + timedelta(hours=2), users=[user])
    listed = client.get(url).get_data(as_text=True)
    assert shown in listed  # the list shows it: a wildcard search would too
    response = client.get(url, query_string={"q": wildcard})
    assert response.status_code == 200 and shown not in response.get_data(as_text=True)
