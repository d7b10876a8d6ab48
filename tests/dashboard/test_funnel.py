"""The breakthrough funnel: every figure on the hand-built region of funnel_world.py, both ways of
counting, the trend by quarter, the companies behind each bar, region scope, bad input, queries."""
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from app.accounts.models import Company, Stage, company_markets
from app.accounts.naming import name_key
from app.dashboard.funnel import services
from app.dashboard.funnel.services import Mode, Quarter, Step
from app.extensions import db
from app.markets.models import Market
from app.visits.models import Visit, VisitStatus
from tests.conftest import assert_whole_page, count_queries
from tests.dashboard.funnel_world import TODAY, build_world

COUNTS = {
    ("region", "strict"): [5, 3, 3, 1, 1, 1, 1],
    ("region", "any"): [5, 6, 7, 4, 4, 3, 2],
    ("m1", "strict"): [5, 3, 3, 1, 1, 1, 1],
    ("m1", "any"): [5, 4, 5, 3, 3, 2, 1],
    ("m2", "strict"): [0, 0, 0, 0, 0, 0, 0],
    ("m2", "any"): [0, 1, 1, 1, 1, 1, 1],
}
VALUES = {  # cents: 甲 ¥100,000, 丁 ¥50,000, 庚 ¥300,000
    ("region", "strict"): [10_000_000] * 7,
    ("region", "any"): [10_000_000, 45_000_000, 45_000_000, 45_000_000, 45_000_000, 45_000_000, 40_000_000],
    ("m1", "strict"): [10_000_000] * 7,
    ("m1", "any"): [10_000_000, 15_000_000, 15_000_000, 15_000_000, 15_000_000, 15_000_000, 10_000_000],
    ("m2", "strict"): [0] * 7,
    ("m2", "any"): [0] + [30_000_000] * 6,
}
# The trend's quarters 2024Q3 … 2026Q2; only the last eight columns' non-zero counts are written.
TREND = {
    "strict": {"joined": {"2026Q1": 4, "2026Q2": 1}, "attended": {"2026Q1": 3}, "target": {"2026Q1": 3},
               "visited": {"2026Q2": 1}, "opportunity": {"2026Q2": 1}, "won": {"2026Q2": 1},
               "key_account": {"2026Q2": 1}},
    "any": {"joined": {"2026Q1": 4, "2026Q2": 1},
            "attended": {"2025Q3": 1, "2026Q1": 4, "2026Q2": 1},
            "target": {"2025Q2": 1, "2025Q3": 1, "2025Q4": 1, "2026Q1": 3, "2026Q2": 1},
            "visited": {"2025Q2": 1, "2025Q3": 1, "2026Q1": 1, "2026Q2": 1},
            "opportunity": {"2025Q2": 1, "2025Q3": 1, "2026Q1": 1, "2026Q2": 1},
            "won": {"2025Q2": 1, "2025Q3": 1, "2026Q2": 1},
            "key_account": {"2025Q2": 1, "2026Q2": 1}},
}


@pytest.fixture
def world(app, clock):
    clock.set(TODAY)
    return build_world()


def market_of(world, which):
    return {"region": None, "m1": world.m1.id, "m2": world.m2.id}[which]


def names(pairs) -> set[str]:
    ids = [i for i, _v in pairs]
    return set(db.session.scalars(sa.select(Company.name).where(Company.id.in_(ids)))) if ids else set()


# ---- the figures -------------------------------------------------------------------------------


@pytest.mark.parametrize("which,mode", list(COUNTS))
def test_counts_and_order_values(world, which, mode):
    funnel = services.funnel_for([world.wenzhou], market_id=market_of(world, which), mode=mode)
    assert [s.count for s in funnel.steps] == COUNTS[which, mode]
    assert [s.value_cents for s in funnel.steps] == VALUES[which, mode]
    assert [s.key for s in funnel.steps] == [s.value for s in Step]
    assert funnel.name == {"region": "", "m1": "眼镜", "m2": "制笔"}[which]


@pytest.mark.parametrize("which,mode", list(COUNTS))
def test_conversions(world, which, mode):
    funnel = services.funnel_for([world.wenzhou], market_id=market_of(world, which), mode=mode)
    counts = COUNTS[which, mode]
    assert funnel.steps[0].step_conversion is None
    for k, step in enumerate(funnel.steps[1:], start=1):
        assert step.step_conversion == (counts[k] / counts[k - 1] if counts[k - 1] else None)
        assert step.cumulative_conversion == (counts[k] / counts[0] if counts[0] else None)
    if (which, mode) == ("region", "strict"):
        assert [s.step_conversion for s in funnel.steps[1:]] == [0.6, 1.0, 1 / 3, 1.0, 1.0, 1.0]
        assert [s.cumulative_conversion for s in funnel.steps] == [1.0, 0.6, 0.6, 0.2, 0.2, 0.2, 0.2]
    if (which, mode) == ("region", "any"):
        # Any-stage counting may hold more at a later step than at the first.
        assert funnel.step("target").cumulative_conversion == 7 / 5


@pytest.mark.parametrize("mode", ["strict", "any"])
def test_funnels_by_market_one_per_market_of_the_region(world, mode):
    funnels = {f.name: f for f in services.funnels_by_market([world.wenzhou], mode=mode)}
    assert set(funnels) == {"眼镜", "制笔"}  # not Wuxi's market
    assert [s.count for s in funnels["眼镜"].steps] == COUNTS["m1", mode]
    assert [s.count for s in funnels["制笔"].steps] == COUNTS["m2", mode]
    assert [s.value_cents for s in funnels["制笔"].steps] == VALUES["m2", mode]
    assert funnels["眼镜"].market_id == world.m1.id and funnels["眼镜"].mode.value == mode


@pytest.mark.parametrize("mode", ["strict", "any"])
def test_trend_by_quarter(world, mode):
    trend = services.trend_for([world.wenzhou], mode=mode)
    keys = [q.key for q in trend.quarters]
    assert keys == ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]
    for row in trend.rows:
        expected = [TREND[mode][row.step.value].get(k, 0) for k in keys]
        assert list(row.counts) == expected, row.step


def test_trend_of_a_market(world):
    trend = services.trend_for([world.wenzhou], market_id=world.m1.id, mode="any")
    by_step = {row.step: dict(zip([q.key for q in trend.quarters], row.counts)) for row in trend.rows}
    assert by_step[Step.ATTENDED]["2026Q1"] == 4 and by_step[Step.ATTENDED]["2025Q3"] == 0  # 庚's seminar is M2's
    assert sum(by_step[Step.TARGET].values()) == 5


def test_a_moment_counts_in_the_regions_quarter(world):
    # 甲's visit is 2026-03-31 17:00 UTC, 1 April in Shanghai: the second quarter.
    behind = services.companies_behind([world.wenzhou], Step.VISITED, mode="any", quarter=Quarter(2026, 2))
    assert names(behind) == {"温州甲眼镜有限公司"}
    assert names(services.companies_behind([world.wenzhou], Step.VISITED, mode="any",
                                           quarter=Quarter(2026, 1))) == {"温州丙眼镜有限公司"}


# ---- the companies behind a bar ----------------------------------------------------------------


def test_companies_behind_each_bar_match_its_count(world):
    for which, mode in COUNTS:
        funnel = services.funnel_for([world.wenzhou], market_id=market_of(world, which), mode=mode)
        for step in funnel.steps:
            behind = services.companies_behind([world.wenzhou], step.step, market_id=market_of(world, which),
                                               mode=mode)
            assert len(behind) == step.count, (which, mode, step.key)
            assert sum(v for _i, v in behind) == step.value_cents


def test_companies_behind_named(world):
    strict_targets = services.companies_behind([world.wenzhou], Step.TARGET, mode="strict")
    assert names(strict_targets) == {"温州甲眼镜有限公司", "温州乙眼镜有限公司", "温州戊眼镜有限公司"}
    any_targets_q1 = services.companies_behind([world.wenzhou], Step.TARGET, mode="any", quarter=Quarter(2026, 1))
    assert names(any_targets_q1) == {"温州甲眼镜有限公司", "温州乙眼镜有限公司", "温州丙眼镜有限公司"}
    won = services.companies_behind([world.wenzhou], Step.WON, mode="any")
    assert {i: v for i, v in won} == {world.companies["jia"].id: 10_000_000, world.companies["ding"].id: 5_000_000,
                                      world.companies["geng"].id: 30_000_000}


def test_another_regions_companies_are_never_counted_or_listed(world):
    for mode in ("strict", "any"):
        region = services.funnel_for([world.wenzhou], mode=mode)
        assert [s.count for s in region.steps] == COUNTS["region", mode]
        for step in Step:
            listed = services.companies_behind([world.wenzhou], step, mode=mode)
            assert world.companies["wx"].id not in {i for i, _v in listed}
    # Asked for Wuxi's market with Wenzhou's regions: nothing.
    foreign = services.funnel_for([world.wenzhou], market_id=world.wuxi_market.id)
    assert foreign.is_empty and foreign.name == ""
    assert services.companies_behind([world.wenzhou], Step.JOINED, market_id=world.wuxi_market.id) == ()
    # Wuxi's own funnel has its company at every step, and both regions together add up.
    assert [s.count for s in services.funnel_for([world.wuxi]).steps] == [1] * 7
    both = services.funnel_for([world.wenzhou, world.wuxi], mode="any")
    assert [s.count for s in both.steps] == [n + 1 for n in COUNTS["region", "any"]]


def test_figures_follow_a_write(world):
    before = services.funnel_for([world.wenzhou], mode="strict")
    assert before.step("visited").count == 1
    visit = db.session.scalar(sa.select(Visit).where(Visit.company_id == world.companies["yi"].id))
    visit.status = VisitStatus.DONE
    visit.starts_at = datetime(2026, 6, 10, 2, tzinfo=UTC)
    visit.ends_at = datetime(2026, 6, 10, 4, tzinfo=UTC)
    db.session.commit()
    after = services.funnel_for([world.wenzhou], mode="strict")
    assert after.step("visited").count == 2


# ---- the pages ---------------------------------------------------------------------------------


def test_funnel_page(client, login_as, world):
    login_as("manager", region="Wenzhou")
    response = client.get("/funnel")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert "<svg" in body and 'class="funnel-chart"' in body and 'class="trend-chart"' in body
    assert "style=" not in body.split("<main", 1)[1]  # the CSP allows no inline styles
    assert "眼镜" in body and "制笔" in body and "电线电缆" not in body and "无锡" not in body
    # The region's table: step name, count, value, conversions, every row a link to its companies.
    table = body.split('class="table-wrap funnel-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a href=\"([^\"]+)\">([^<]+)</a></th>\s*"
                      r"<td class=\"num\"><a [^>]+>([^<]+)</a></td>\s*<td class=\"num\">([^<]*)</td>", table)
    assert [(count, value) for _href, _label, count, value in rows] == [
        ("5", "¥100,000.00"), ("3", "¥100,000.00"), ("3", "¥100,000.00"), ("1", "¥100,000.00"),
        ("1", "¥100,000.00"), ("1", "¥100,000.00"), ("1", "¥100,000.00")]
    assert rows[2][0] == "/funnel/companies?step=target&amp;mode=strict"
    assert "60%" in table and "20%" in table
    # Each market's chart links its bars to that market's companies.
    assert f"/funnel/companies?step=won&amp;mode=strict&amp;market={world.m1.id}" in body
    # The trend's table links a quarter's count to the companies that reached the step then.
    assert "quarter=2026Q1" in body


def test_funnel_page_any_stage_and_a_market(client, login_as, world):
    login_as("manager", region="Wenzhou")
    body = client.get(f"/funnel?mode=any&market={world.m1.id}").get_data(as_text=True)
    assert "<h2 id=\"funnel-focus-title\">眼镜" in body
    table = body.split('class="table-wrap funnel-table"', 1)[1].split("</table>", 1)[0]
    counts = re.findall(r"<td class=\"num\"><a [^>]+>([^<]+)</a></td>", table)
    assert counts == [str(n) for n in COUNTS["m1", "any"]]
    assert 'value="any" checked' in body
    assert 'class="funnel-markets"' not in body  # one market: no grid of markets


def test_funnel_page_fragment_for_htmx(client, login_as, world):
    login_as("manager", region="Wenzhou")
    response = client.htmx("get", "/funnel?mode=any", target="funnel-body")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "funnel-chart" in body
    assert response.headers["Vary"].startswith("HX-Request")
    # Another target (a boosted link, a history restore) gets the whole page.
    assert_whole_page(client.htmx("get", "/funnel", target="elsewhere"))


def test_companies_page(client, login_as, world):
    login_as("rep", region="Wenzhou")
    response = client.get("/funnel/companies?step=target&mode=strict")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    for name in ("温州甲眼镜有限公司", "温州乙眼镜有限公司", "温州戊眼镜有限公司"):
        assert name in body
    assert "温州丙眼镜有限公司" not in body and "无锡电缆有限公司" not in body
    assert "1–3 of 3" in body

    body = client.get(f"/funnel/companies?step=won&mode=any&market={world.m1.id}").get_data(as_text=True)
    assert "温州甲眼镜有限公司" in body and "温州丁眼镜有限公司" in body and "温州庚笔业有限公司" not in body
    assert "¥100,000.00" in body and "¥50,000.00" in body

    body = client.get("/funnel/companies?step=target&mode=any&quarter=2026Q1").get_data(as_text=True)
    listed = set(re.findall(r'class="company-name">([^<]+)<', body))
    assert listed == {"温州甲眼镜有限公司", "温州乙眼镜有限公司", "温州丙眼镜有限公司"}

    response = client.htmx("get", "/funnel/companies?step=visited&mode=any", target="results")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "温州丁眼镜有限公司" in body


def test_companies_page_is_paginated(client, login_as, world, app):
    login_as("manager", region="Wenzhou")
    rows = [dict(region_id=world.wenzhou.id, name=f"温州新会员{i:03d}有限公司", name_key=name_key(f"温州新会员{i:03d}有限公司"),
                 stage=Stage.PROSPECT, created_at=datetime(2026, 3, 1, tzinfo=UTC),
                 updated_at=datetime(2026, 3, 1, tzinfo=UTC), score=0) for i in range(30)]
    db.session.execute(sa.insert(Company.__table__), rows)
    ids = db.session.scalars(sa.select(Company.id).where(Company.name.like("温州新会员%"))).all()
    association_id = db.session.scalar(sa.text("SELECT id FROM associations WHERE name = '温州市眼镜商会'"))
    db.session.execute(sa.text("INSERT INTO association_members (association_id, company_id) VALUES (:a, :c)"),
                       [dict(a=association_id, c=i) for i in ids])
    db.session.commit()
    first = client.get("/funnel/companies?step=joined").get_data(as_text=True)
    assert "1–25 of 35" in first and 'rel="next"' in first
    second = client.get("/funnel/companies?step=joined&page=2").get_data(as_text=True)
    assert "26–35 of 35" in second


BAD = [
    ("/funnel/companies?step=NaN", 400, "Choose one of the funnel"),
    ("/funnel/companies", 200, "Choose a step above to list its companies."),
    ("/funnel/companies?step=", 200, "Choose a step above to list its companies."),
    ("/funnel/companies?step=won&quarter=2026Q9", 400, "Write a quarter like 2026Q3"),
    ("/funnel/companies?step=won&quarter=NaN", 400, "Write a quarter like 2026Q3"),
    ("/funnel/companies?step=won&market=abc", 400, "Choose a market from the list"),
    ("/funnel/companies?step=won&mode=<script>", 200, "温州甲眼镜有限公司"),
    ("/funnel/companies?step=won&page=-3", 200, "温州甲眼镜有限公司"),
    ("/funnel/companies?step=won&page=99999999999999999999", 200, "温州甲眼镜有限公司"),
    ("/funnel/companies?step=won&market=99999999999999999999", 400, "Choose a market from the list"),
    ("/funnel?market=abc", 200, "funnel-chart"),
    ("/funnel?mode=<script>alert(1)</script>", 200, 'value="strict" checked'),
    ("/funnel?market=1.5&mode=NaN", 200, "funnel-chart"),
    ("/funnel?market=-1", 404, ""),
    ("/funnel/companies?step=won&market=-1", 404, ""),
]


@pytest.mark.parametrize("url,status,text", BAD)
def test_bad_query_parameters(client, login_as, world, url, status, text):
    login_as("manager", region="Wenzhou")
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[-500:]
    assert text in body
    assert "<script>alert" not in body
    if status == 400:
        assert 'aria-invalid="true"' in body and "field-error" in body
    if "Choose a step above" in text:
        assert "field-error" not in body


@pytest.mark.parametrize("url", ["/funnel", "/funnel/companies?step=joined"])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_another_regions_market_is_not_found(client, login_as, world):
    login_as("manager", region="Wenzhou")
    assert client.get(f"/funnel?market={world.wuxi_market.id}").status_code == 404
    assert client.get(f"/funnel/companies?step=joined&market={world.wuxi_market.id}").status_code == 404
    assert client.htmx("get", f"/funnel?market={world.wuxi_market.id}", target="funnel-body").status_code == 404


def test_a_wuxi_user_sees_wuxi(client, login_as, world):
    login_as("manager", region="Wuxi")
    body = client.get("/funnel/companies?step=key_account").get_data(as_text=True)
    assert "无锡电缆有限公司" in body and "温州" not in body.split("<main", 1)[1]


def test_the_funnel_is_in_the_navigation(client, login_as, world):
    login_as("rep", region="Wenzhou")
    body = client.get("/funnel").get_data(as_text=True)
    assert re.search(r'<a href="/funnel" aria-current="page">', body)
    body = client.get("/funnel/companies?step=won").get_data(as_text=True)
    assert re.search(r'<a href="/funnel" aria-current="page">', body)
    # The home page shares the dashboard's blueprint but is no area of the menu.
    body = client.get("/").get_data(as_text=True)
    header = body.split("</nav>", 1)[0]
    assert re.search(r'<a href="/funnel"\s*>', header) and 'aria-current="page"' not in header


# ---- queries ------------------------------------------------------------------------------------


def _grow(world, n: int) -> None:
    """`n` more companies in 眼镜, members of its association, with a done visit each."""
    start = db.session.scalar(sa.select(sa.func.max(Company.id))) + 1
    now = datetime(2026, 3, 1, tzinfo=UTC)
    rows = [dict(id=start + i, region_id=world.wenzhou.id, name=f"温州批量{start + i:05d}有限公司",
                 name_key=name_key(f"温州批量{start + i:05d}有限公司"), stage=Stage.TARGET, created_at=now, updated_at=now,
                 score=0) for i in range(n)]
    db.session.execute(sa.insert(Company.__table__), rows)
    db.session.execute(sa.insert(company_markets), [dict(company_id=r["id"], market_id=world.m1.id) for r in rows])
    db.session.execute(sa.insert(Visit.__table__), [
        dict(region_id=world.wenzhou.id, company_id=r["id"], starts_at=now, ends_at=now.replace(hour=2),
             status=VisitStatus.DONE, purpose="introduction", level=1, place="", agenda="", outcome="", next_steps="",
             created_at=now) for r in rows])
    db.session.commit()


def test_funnels_by_market_in_a_constant_number_of_queries(world):
    counts = {}
    for size in (10, 1000):
        _grow(world, size - (len(counts) and 10))
        regions = [world.wenzhou.id]
        with count_queries() as cold:
            funnels = services.funnels_by_market(regions, mode="strict")
        with count_queries() as warm:
            again = services.funnels_by_market(regions, mode="strict")
        assert again == funnels
        counts[size] = (len(cold), len(warm))
        by_name = {f.name: f for f in funnels}
        assert by_name["眼镜"].step("visited").count == 1  # the new ones are no association's members
    # Cold: the state of the data, the markets, one aggregate; warm: the state of the data only.
    assert counts[10] == counts[1000] == (3, 1)


def test_funnel_pages_in_a_constant_number_of_queries(client, login_as, world):
    login_as("manager", region="Wenzhou")
    seen = []
    for size in (10, 1000):
        _grow(world, size - (len(seen) and 10))
        for url in ("/funnel", f"/funnel?market={world.m1.id}&mode=any", "/funnel/companies?step=target&mode=any"):
            with count_queries() as cold:
                assert client.get(url).status_code == 200
            with count_queries() as warm:
                assert client.get(url).status_code == 200
            seen.append((size, url, len(cold), len(warm)))
    small = {url: (cold, warm) for size, url, cold, warm in seen if size == 10}
    large = {url: (cold, warm) for size, url, cold, warm in seen if size == 1000}
    assert small == large, seen


def test_markets_sorted_and_quarters_parsed(world):
    assert Quarter.parse("2026Q3") == Quarter(2026, 3) and Quarter.parse("2026-q1") == Quarter(2026, 1)
    for junk in ("2026Q9", "2026Q0", "NaN", "", None, "99999Q1", "2026Q3; drop", "０２６Q1"):
        assert Quarter.parse(junk) is None
    assert Quarter(2026, 1).previous == Quarter(2025, 4) and Quarter(2025, 4).next == Quarter(2026, 1)
    assert services.parse_mode("<script>") is Mode.STRICT and services.parse_step("NaN") is None
    assert {m.name for m in services.market_choices([world.wenzhou])} == {"眼镜", "制笔"}


@pytest.mark.parametrize("locale,strict,any_stage", [
    ("en", "No company at any step yet. Strict counting starts with the members of an association we joined.",
     "No company at any step yet."),
    ("zh_Hans_CN", "还没有公司到达任何一步。严格计数从我们已加入的协会的会员企业算起。", "还没有公司到达任何一步。"),
])
def test_an_empty_markets_note_reads_as_its_language_writes(client, login_as, make_market, locale, strict, any_stage):
    login_as("manager", region="Wenzhou", locale=locale)
    make_market("眼镜")
    for mode, note in (("strict", strict), ("any", any_stage)):
        body = client.get(f"/funnel?mode={mode}").get_data(as_text=True)
        shown = re.search(r'<p class="funnel-empty muted">([^<]*)</p>', body).group(1)
        assert shown == note  # in Chinese the two sentences meet without a space
