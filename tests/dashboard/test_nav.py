"""The staff areas in the site header: the everyday ones in the row, the others under "More", a
<details> menu that needs no script; an administrator's own areas only for administrators."""
import re

import pytest


def _header(body: str) -> str:
    return body.split("</header>", 1)[0]


def _labels(markup: str) -> list[str]:
    return re.findall(r'<a href="[^"]+"\s*(?:aria-current="page")?>([^<]+)</a>', markup)


def _row_and_more(body: str) -> tuple[list[str], list[str]]:
    """The labels of the areas in the row, and of those under "More"."""
    nav = _header(body).split('<ul class="main-nav">', 1)[1].split('role="search"', 1)[0]
    more = re.search(r'<details class="nav-more">.*?</details>', nav, re.S)
    if more is None:
        return _labels(nav), []
    return _labels(nav.replace(more.group(0), "")), _labels(more.group(0))


@pytest.mark.parametrize("role,extra", [("rep", []), ("manager", []),
                                        ("admin", ["Users", "Regions", "Audit log", "Outbox"])])
def test_everyday_areas_in_the_row_the_others_under_more(client, login_as, role, extra):
    login_as(role, region="Wenzhou" if role != "admin" else None)
    body = client.get("/visits/").get_data(as_text=True)
    row, more = _row_and_more(body)
    assert row == ["Funnel", "Markets", "Associations", "Companies", "Seminars", "Visits", "Service", "Key accounts"]
    assert more == ["Experts", "Service parts", *extra]
    assert "<summary>More</summary>" in body  # a plain <details>: it opens without script
    assert '<a href="/visits/" aria-current="page">Visits</a>' in body


def test_an_area_under_more_is_marked_current_there(client, login_as):
    login_as("admin", region=None)
    body = client.get("/admin/audit").get_data(as_text=True)
    header = _header(body)
    assert '<summary class="current">More</summary>' in header
    assert re.search(r'<a href="/admin/audit[^"]*"\s*aria-current="page">Audit log</a>', header)
    assert header.count('aria-current="page"') == 1


def test_the_menu_reads_in_chinese(client, login_as):
    login_as("rep", region="Wenzhou", locale="zh_Hans_CN")
    body = client.get("/visits/").get_data(as_text=True)
    row, more = _row_and_more(body)
    assert "拜访" in row and more == ["专家", "服务备件"] and "<summary>更多</summary>" in body
