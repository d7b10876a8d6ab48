"""Page timings at the size of a large region.

    .venv/bin/python benchmarks/bench_pages.py                      # SQLite, 20,000 companies
    .venv/bin/python benchmarks/bench_pages.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python benchmarks/bench_pages.py --compare 1000       # also count queries at 1,000 companies
    .venv/bin/python benchmarks/bench_pages.py --only home          # only the pages whose label has "home"
    .venv/bin/python benchmarks/bench_pages.py --json /tmp/pages.json  # also the figures as JSON, by backend

Seeds one region with Core bulk inserts (companies, 3 contacts each with role tags, markets,
associations and memberships, experts; with --full, the default, also 2,000 seminars with
100,000 registrations and 50,000 visits) into benchmarks/results/bench.db (or a throwaway
PostgreSQL database, dropped afterwards), then asks each page N times through the Flask test
client, logged in as a rep of that region (the pages of MANAGER_PAGES, the manager's home, as its
manager), and prints the median and p95 time and the number of SQL queries of each page. Besides the companies list in its variants, "each page" is every
GET page of the app that needs no other argument than the id of a company, market, seminar,
visit, expert or association (or a seminar's public slug), so pages added later are measured
without editing this file; a page that answers anything but 200 to a rep is listed as skipped.
With --compare N the same pages are counted at N companies too: the count must not grow.
"cpu ms" is this process's CPU time per request (Python, templates, SQLite; not the PostgreSQL
server's): it stays steady when other work makes the wall-clock times jump.
"""
import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.models import (  # noqa: E402
    AccountCare,
    Company,
    Contact,
    ContactRole,
    ContactRoleTag,
    Line,
    Opportunity,
    OpportunityStage,
    Order,
    RevenueBand,
    Stage,
    Tier,
    association_members,
    company_markets,
)
from app.accounts.naming import name_key  # noqa: E402
from app.associations.models import Association, Membership, MembershipStatus  # noqa: E402
from app.auth.models import Role  # noqa: E402
from app.auth.services import create_user, get_or_create_region  # noqa: E402
from app.config import Config  # noqa: E402
from app.core.memory import freeze  # noqa: E402
from app.demo import BRANDS, GIVEN, SURNAMES, TITLES  # noqa: E402
from app.equipment.models import (  # noqa: E402
    InstalledEquipment,
    MachineModel,
    MinSource,
    MoveKind,
    PartStock,
    SparePart,
    StockMove,
    model_key,
    part_models,
)
from app.experts.models import Expert, ExpertTag, Organisation  # noqa: E402
from app.extensions import db  # noqa: E402
from app.keyaccounts.models import (  # noqa: E402
    AccountPlan,
    BuyingCentre,
    CareSpend,
    CellStatus,
    ChangeCause,
    KeyAccountProposal,
    Measure,
    PlanObjective,
    ProductLine,
    ProposalStatus,
    SpendCategory,
    StageChange,
    Touch,
    TouchKind,
    WhitespaceCell,
)
from app.markets.models import Market  # noqa: E402
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus, Speaker  # noqa: E402
from app.service.clock import BusinessCalendar, add_business_time  # noqa: E402
from app.service.holidays import CHINA_DAYS, HOLIDAY  # noqa: E402
from app.service.models import (  # noqa: E402
    CaseClock,
    CaseEvent,
    CasePause,
    CaseStatus,
    Channel,
    ClockKind,
    EventKind,
    ServiceCase,
    Severity,
)
from app.service.services import default_hours  # noqa: E402
from app.visits.models import Escalation, EscalationStatus, Purpose, Visit, VisitMember, VisitStatus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PASSWORD = "bench-password"
MARKETS = ["眼镜", "制笔", "包装", "电气电子", "汽摩配"]
WORDS = {"眼镜": "眼镜", "制笔": "笔业", "包装": "包装", "电气电子": "电气", "汽摩配": "汽配"}
CHUNK = 5000


class BenchConfig(Config):
    SECRET_KEY = "bench"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


def _chunks(rows):
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def _insert(table, rows) -> None:
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)


def seed(companies: int, full: bool, rng: random.Random) -> dict:
    """One region at the given size, written with Core executemany inserts."""
    region = get_or_create_region("Bench")
    rep = create_user(email="rep@bench.example.com", name="Bench Rep", role=Role.REP, password=PASSWORD,
                      regions=[region])
    create_user(email="manager@bench.example.com", name="Bench Manager", role=Role.MANAGER,
                password=PASSWORD, regions=[region])
    markets = [Market(region=region, name=m) for m in MARKETS]
    associations = [Association(region=region, name=f"温州市{m}行业协会", markets=[mk])
                    for m, mk in zip(MARKETS, markets)]
    for a in associations:
        a.memberships = [Membership(status=MembershipStatus.ACTIVE, joined_on=date.today() - timedelta(days=300),
                                    expires_on=date.today() + timedelta(days=65), fee_cents=5_000_00)]
    experts = [Expert(region=region, name=rng.choice(SURNAMES) + rng.choice(GIVEN), organisation=rng.choice(list(Organisation)),
                      tags=[ExpertTag(market=markets[e % 5], tag="精密加工")]) for e in range(30)]
    db.session.add_all(markets + associations + experts)
    db.session.flush()
    now = datetime.now(UTC)

    stages = list(Stage)
    rows, market_rows, member_rows = [], [], []
    for n in range(companies):
        m = n % len(MARKETS)
        brand = rng.choice(BRANDS)
        name = f"温州市{brand}{WORDS[MARKETS[m]]}{n + 1}厂有限公司"
        stage = rng.choices(stages, [50, 15, 12, 8, 5, 5, 5])[0]
        rows.append(dict(
            id=n + 1, region_id=region.id, name=name, name_key=name_key(name), short_name=f"{brand}{WORDS[MARKETS[m]]}",
            city="温州", district="瓯海区", address=f"瓯海区工业区 {n % 400 + 1} 号", employees=rng.randint(20, 2000),
            revenue_band=rng.choice(list(RevenueBand)), products="金属镜架、注塑件", equipment="数控车床、注塑机",
            competitor="", background="", stage=stage,
            tier=rng.choice(list(Tier)) if stage is Stage.KEY_ACCOUNT else None,
            owner_id=rep.id if n % 4 == 0 else None, score=rng.randint(0, 100), created_at=now, updated_at=now))
        market_rows.append(dict(company_id=n + 1, market_id=markets[m].id))
        if n % 3:
            member_rows.append(dict(association_id=associations[m].id, company_id=n + 1))
    _insert(Company.__table__, rows)
    _insert(company_markets, market_rows)
    _insert(association_members, member_rows)

    contacts, roles = [], []
    roles_all = list(ContactRole)
    kept = {c["id"]: c for c in rows if c["stage"] in (Stage.WON, Stage.KEY_ACCOUNT)}
    for n in range(companies * 3):
        title, department, tags, _line = TITLES[n % len(TITLES)]
        contact = dict(id=n + 1, company_id=n // 3 + 1, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                       title=title, department=department, phone=f"13{n:09d}", email="", wechat="", notes="",
                       line=None, holder_id=None, strength=None, last_contact_on=None)
        role_set = {*tags, rng.choice(roles_all)}
        if contact["company_id"] in kept:
            # A kept account's three people sit on our three lines: boss, workshop director, equipment manager.
            line, role = THREE_LINES[n % 3]
            role_set.add(role)
            contact.update(line=line, holder_id=rep.id, strength=rng.randint(1, 5),
                           last_contact_on=date.today() - timedelta(days=rng.randint(1, 200)))
        contacts.append(contact)
        roles.extend(dict(contact_id=n + 1, role=role) for role in role_set)
    _insert(Contact.__table__, contacts)
    _insert(ContactRoleTag.__table__, roles)

    opportunities = [dict(company_id=c["id"], title="数控车床 3 台更新", value_cents=rng.randint(1, 300) * 10_000_00,
                          stage=rng.choice(list(OpportunityStage)), owner_id=rep.id, created_at=now)
                     for c in rows if c["stage"] in (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)]
    _insert(Opportunity.__table__, opportunities)
    sizes = {"companies": companies, "contacts": len(contacts), "contact_roles": len(roles),
             "opportunities": len(opportunities)}
    sizes.update(seed_key_accounts(region.id, rep.id, rows, [c for c in contacts if c["line"]], rng, now))
    sizes.update(seed_service(region.id, rep.id, rows, rng, now))
    sizes.update(seed_equipment(region.id, rep.id, rows, rng, now))
    sizes.update(seed_escalations(region.id, rows, rng, now))

    if full:
        seminars, registrations = [], []
        for s in range(2000):
            starts = now + timedelta(days=s - 1500, hours=6)
            seminars.append(dict(id=s + 1, region_id=region.id, market_id=markets[s % 5].id, title=f"技术讲座 {s + 1}",
                                 abstract="", venue="协会会议室", address="", starts_at=starts,
                                 ends_at=starts + timedelta(hours=3), capacity=60, waitlist_enabled=True,
                                 status=SeminarStatus.HELD if s < 1500 else SeminarStatus.OPEN,
                                 slug=uuid.uuid4().hex[:12], created_at=now))
            for r in range(50):
                status = (RegistrationStatus.ATTENDED if r % 5 else RegistrationStatus.NO_SHOW) if s < 1500 \
                    else RegistrationStatus.CONFIRMED
                registrations.append(dict(seminar_id=s + 1, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                                          company_name="华信眼镜", title="", phone=f"15{s:04d}{r:05d}",
                                          email=f"r{r}@s{s}.example.com", status=status,
                                          cancel_token=uuid.uuid4().hex, consent=True, answers={},
                                          company_id=rng.randint(1, companies) if r % 2 else None, created_at=now))
        _insert(Seminar.__table__, seminars)
        _insert(Registration.__table__, registrations)
        _insert(Speaker.__table__, [dict(seminar_id=s["id"], expert_id=experts[s["id"] % 30].id, talk_title="", position=0)
                                    for s in seminars])
        visits, members = [], []
        for v in range(50_000):
            starts = (now - timedelta(days=700)).replace(hour=1, minute=30) + timedelta(days=v * 730 // 50_000, hours=v % 2 * 5)
            visits.append(dict(id=v + 1, region_id=region.id, company_id=rng.randint(1, companies), starts_at=starts,
                               ends_at=starts + timedelta(hours=2), place="", purpose=rng.choice(list(Purpose)),
                               level=rng.randint(1, 4), status=VisitStatus.DONE if starts < now else VisitStatus.PLANNED,
                               agenda="", outcome="", next_steps="", created_at=now))
            members.append(dict(visit_id=v + 1, user_id=rep.id, expert_id=None, is_lead=True))
            if v % 3 == 0:
                members.append(dict(visit_id=v + 1, user_id=None, expert_id=experts[v % 30].id, is_lead=False))
        _insert(Visit.__table__, visits)
        _insert(VisitMember.__table__, members)
        sizes.update(seminars=len(seminars), registrations=len(registrations), visits=len(visits))
    if db.engine.dialect.name == "postgresql":
        # The rows above carry their ids; move the sequences past them.
        for table in ("companies", "contacts", "seminars", "visits", "account_plans", "buying_centres", "product_lines"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.commit()
    return sizes


THREE_LINES = [(Line.MANAGEMENT, ContactRole.DECISION_MAKER), (Line.BUSINESS, ContactRole.WORKSHOP_DIRECTOR),
               (Line.TECHNICAL, ContactRole.EQUIPMENT_MANAGER)]


def seed_key_accounts(region_id: int, rep_id: int, companies: list[dict], tied: list[dict], rng, now) -> dict:
    """Orders over two years, care rows, touches, stage history, proposals, plans and whitespace grids."""
    today = date.today()
    care_stages = (Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)
    kept = [c for c in companies if c["stage"] in (Stage.WON, Stage.KEY_ACCOUNT)]
    orders = [dict(company_id=c["id"], amount_cents=rng.randint(5, 300) * 10_000_00,
                   ordered_on=today - timedelta(days=rng.randint(0, 720)), description="数控车床", notes="")
              for c in kept for _ in range(rng.randint(1, 4))]
    _insert(Order.__table__, orders)
    care = []
    for c in companies:
        if c["stage"] not in care_stages:
            continue
        is_kept = c["stage"] in (Stage.WON, Stage.KEY_ACCOUNT)
        health = rng.randint(15, 100) if is_kept else None
        parts = {"freshness": {"score": health, "weight": 43, "days_over": 0, "gap_days": 30,
                               "due_on": today.isoformat()},
                 "coverage": {"score": 66, "weight": 36, "covered": 2, "required": 3},
                 "trend": {"score": 80, "weight": 21, "last_cents": 100_000_00, "previous_cents": 125_000_00}} \
            if is_kept else {}
        care.append(dict(company_id=c["id"], last_visit_on=today - timedelta(days=rng.randint(1, 150)),
                         due_on=today + timedelta(days=rng.randint(-90, 60)),
                         due_reason=rng.choice(["visit", "business", "technical"]) if is_kept else "target",
                         gap_count=rng.randint(0, 2) if is_kept else 0, health=health, health_parts=parts,
                         computed_on=today, computed_at=now))
    _insert(AccountCare.__table__, care)
    _insert(Touch.__table__, [dict(company_id=t["company_id"], contact_id=t["id"], line=t["line"], kind=TouchKind.CALL,
                                   touched_on=t["last_contact_on"] - timedelta(days=k * 30), note="", by_id=rep_id,
                                   created_at=now) for t in tied for k in range(2)])
    _insert(StageChange.__table__, [dict(company_id=c["id"], changed_at=now - timedelta(days=200), by_id=rep_id,
                                         from_stage=Stage.TARGET, to_stage=Stage.WON, cause=ChangeCause.FIRST_ORDER,
                                         reason="") for c in kept])
    _insert(KeyAccountProposal.__table__, [dict(company_id=c["id"], proposed_tier=Tier.B, yearly_cents=150_000_000,
                                                order_count=2, reason="", status=ProposalStatus.PENDING,
                                                proposed_at=now, note="")
                                           for c in kept if c["stage"] is Stage.WON][:50])
    lines = [dict(id=i + 1, region_id=region_id, name=name, position=i)
             for i, name in enumerate(["精密数控机床", "激光加工设备", "自动化上下料", "检测与计量", "备件与服务"])]
    _insert(ProductLine.__table__, lines)
    key_accounts = [c for c in kept if c["stage"] is Stage.KEY_ACCOUNT]
    plans = [dict(id=i + 1, company_id=c["id"], year=today.year, owner_id=rep_id, visit_days=12,
                  care_budget_cents=30_000_00, parts_reserve_cents=20_000_00, notes="")
             for i, c in enumerate(key_accounts)]
    _insert(AccountPlan.__table__, plans)
    _insert(PlanObjective.__table__, [dict(plan_id=p["id"], title=title, measure=measure, target=target)
                                      for p in plans for title, measure, target in (
                                          ("年度订单额", Measure.ORDER_VALUE, 2_000_000_00),
                                          ("技术拜访", Measure.TECHNICAL_VISITS, 4),
                                          ("经理拜访", Measure.MANAGER_VISITS, 3))])
    _insert(CareSpend.__table__, [dict(plan_id=p["id"], spent_on=today - timedelta(days=k), category=SpendCategory.TRAVEL,
                                       amount_cents=1_500_00, what="差旅", by_id=rep_id)
                                  for p in plans for k in range(3)])
    centres = [dict(id=len(plans) * k + i + 1, company_id=p["company_id"], name=f"{k + 1} 号车间")
               for i, p in enumerate(plans) for k in range(2)]
    _insert(BuyingCentre.__table__, centres)
    _insert(WhitespaceCell.__table__, [dict(centre_id=c["id"], product_line_id=line["id"],
                                            status=rng.choice(list(CellStatus)), note="")
                                       for c in centres for line in lines[:4]])
    return {"orders": len(orders), "account_care": len(care), "account_plans": len(plans)}


def seed_service(region_id: int, rep_id: int, companies: list[dict], rng, now) -> dict:
    """3,000 service cases over two years with their clocks and timelines: most resolved and closed,
    a few hundred open (some waiting for the customer, some past due), as a large region has them."""
    calendar = BusinessCalendar(zone=ZoneInfo("Asia/Shanghai"),
                                holidays=frozenset(d for d, k, _n in CHINA_DAYS if k == HOLIDAY),
                                workdays=frozenset(d for d, k, _n in CHINA_DAYS if k != HOLIDAY))
    kept = [c for c in companies if c["stage"] in (Stage.WON, Stage.KEY_ACCOUNT)] or companies
    severities, channels = list(Severity), list(Channel)
    cases, clocks, events, pauses = [], [], [], []
    for n in range(3000):
        company = rng.choice(kept) if n % 4 else rng.choice(companies)
        tier = company["tier"] or Tier.C
        severity = rng.choices(severities, [5, 20, 55, 20])[0]
        is_open = n % 10 == 0  # 300 open cases
        received = now - (timedelta(hours=rng.randint(1, 24 * 20)) if is_open else timedelta(days=rng.randint(3, 720)))
        targets = dict(zip((ClockKind.RESPONSE, ClockKind.ON_SITE, ClockKind.RESOLUTION), default_hours(tier, severity)))
        due = {k: add_business_time(calendar, received, timedelta(hours=h)) for k, h in targets.items()}
        warn = {k: add_business_time(calendar, received, timedelta(hours=h) * 0.8) for k, h in targets.items()}
        status = rng.choice([CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.ON_SITE, CaseStatus.WAITING]) \
            if is_open else rng.choice([CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.CLOSED])
        acknowledged = None if status is CaseStatus.NEW else min(now, received + timedelta(hours=rng.randint(1, 6)))
        on_site = acknowledged + timedelta(hours=rng.randint(4, 60)) \
            if status in (CaseStatus.ON_SITE, CaseStatus.RESOLVED, CaseStatus.CLOSED) else None
        on_site = min(on_site, now) if on_site else None
        resolved = on_site + timedelta(hours=rng.randint(1, 80)) if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) \
            else None
        paused = now - timedelta(hours=rng.randint(1, 40)) if status is CaseStatus.WAITING else None
        stops = {ClockKind.RESPONSE: acknowledged, ClockKind.ON_SITE: on_site, ClockKind.RESOLUTION: resolved}
        running = [due[k] for k, stop in stops.items() if stop is None]
        case_id = n + 1
        cases.append(dict(
            id=case_id, region_id=region_id, company_id=company["id"], equipment_id=None, severity=severity,
            channel=rng.choice(channels), over_the_head=n % 97 == 0, description=f"设备故障 {case_id}：主轴异响，精度下降",
            status=status, paused_at=paused, paused_from=CaseStatus.ACKNOWLEDGED if paused else None,
            owner_id=rep_id if n % 3 == 0 else None, opened_by_id=rep_id, sla_tier=tier, received_at=received,
            acknowledged_at=acknowledged, on_site_at=on_site, resolved_at=resolved,
            closed_at=resolved + timedelta(days=2) if status is CaseStatus.CLOSED else None, reopen_count=0,
            next_due_at=min(running) if running and not paused else None, created_at=received))
        for kind, hours in targets.items():
            stop = stops[kind]
            clocks.append(dict(case_id=case_id, kind=kind, round=0, target_minutes=hours * 60, started_at=received,
                               due_at=due[kind], warn_at=warn[kind], stopped_at=stop, met=stop is not None,
                               warned_at=warn[kind] if warn[kind] < (stop or now) else None,
                               breach_noted_at=due[kind] if due[kind] < (stop or paused or now) else None))
        events.append(dict(case_id=case_id, at=received, by_id=rep_id, kind=EventKind.OPENED, from_status=None,
                           to_status=CaseStatus.NEW, clock=None, note="主轴异响"))
        for at, before, after in ((acknowledged, CaseStatus.NEW, CaseStatus.ACKNOWLEDGED),
                                  (on_site, CaseStatus.ACKNOWLEDGED, CaseStatus.ON_SITE),
                                  (resolved, CaseStatus.ON_SITE, CaseStatus.RESOLVED)):
            if at is not None:
                events.append(dict(case_id=case_id, at=at, by_id=rep_id, kind=EventKind.STATUS, from_status=before,
                                   to_status=after, clock=None, note=""))
        if paused:
            pauses.append(dict(case_id=case_id, started_at=paused, ended_at=None))
    _insert(ServiceCase.__table__, cases)
    _insert(CaseClock.__table__, clocks)
    _insert(CaseEvent.__table__, events)
    _insert(CasePause.__table__, pauses)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('service_cases', 'id'), "
                                   "(SELECT coalesce(max(id), 1) FROM service_cases))"))
    return {"service_cases": len(cases), "case_clocks": len(clocks), "case_events": len(events)}


def seed_escalations(region_id: int, companies: list[dict], rng, now) -> dict:
    """Escalations as a busy region has them: 40 waiting for the manager, 15 approved and not yet
    scheduled, 500 decided long ago (the home page lists the first two kinds)."""
    deals = [c for c in companies if c["stage"] in (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)] or companies
    rows = []
    for n in range(555):
        status = EscalationStatus.PENDING if n < 40 else EscalationStatus.APPROVED if n < 55 else \
            rng.choice([EscalationStatus.APPROVED, EscalationStatus.DECLINED])
        proposed = now - timedelta(days=rng.randint(1, 20) if n < 55 else rng.randint(60, 700))
        rows.append(dict(region_id=region_id, company_id=rng.choice(deals)["id"], opportunity_id=None, from_level=2,
                         proposed_level=rng.choice((3, 4)), reason="value", user_ids=[], expert_ids=[], status=status,
                         note="", proposed_at=proposed, decided_by_id=None,
                         decided_at=None if status is EscalationStatus.PENDING else proposed + timedelta(days=1),
                         visit_id=None))
    _insert(Escalation.__table__, rows)
    return {"escalations": len(rows)}


def seed_equipment(region_id: int, rep_id: int, companies: list[dict], rng, now) -> dict:
    """5,000 machines of 12 models at the region's customers (most at won and key accounts), a catalogue
    of 2,000 parts the region keeps, and 20,000 stock moves: a first delivery of each part, then issues
    to cases, more deliveries and a few count corrections; about one part in twenty ends below its
    minimum, as a region that reorders in time has them."""
    models = [dict(id=i + 1, name=f"{prefix}-{size}", key=model_key(f"{prefix}-{size}"), description="")
              for i, (prefix, size) in enumerate((p, s) for p in ("GX", "HX", "LM", "PK") for s in (300, 500, 800))]
    _insert(MachineModel.__table__, models)
    kept = [c for c in companies if c["stage"] in (Stage.WON, Stage.KEY_ACCOUNT)] or companies
    machines = []
    for n in range(5000):
        company = rng.choice(kept) if n % 5 else rng.choice(companies)
        installed = (now - timedelta(days=rng.randint(30, 8 * 365))).date()
        machines.append(dict(id=n + 1, region_id=region_id, company_id=company["id"], model_id=rng.randint(1, 12),
                             serial=f"SN{n + 1:06d}", site=rng.choice(["一车间", "二车间", "注塑车间", "新厂区"]),
                             installed_on=installed, warranty_until=installed + timedelta(days=rng.choice((365, 730, 1095))),
                             import_id=None, created_at=now, updated_at=now))
    _insert(InstalledEquipment.__table__, machines)
    parts, fits, stock, moves = [], [], [], []
    for n in range(2000):
        part_id = n + 1
        parts.append(dict(id=part_id, number=f"SP-{part_id:05d}", name=rng.choice(["主轴轴承", "加热圈", "热电偶", "伺服驱动器",
                                                                               "密封件包", "切刀", "传感器", "皮带"]),
                          failure_rate=rng.choice(["0.05", "0.1", "0.15", "0.3", "0.6", "1.2"]),
                          unit_cost_cents=rng.randint(10, 5000) * 100, created_at=now))
        fits.extend(dict(part_id=part_id, model_id=m) for m in rng.sample(range(1, 13), rng.randint(1, 3)))
        minimum = rng.randint(1, 8)
        stock.append(dict(id=part_id, region_id=region_id, part_id=part_id, minimum=minimum, maximum=minimum * 3,
                          lead_days=rng.choice((21, 30, 45, 60)),
                          min_source=MinSource.SUGGESTED if n % 3 else MinSource.MANUAL))
        on_hand, below = 0, n % 20 == 0
        for m in range(10):  # 10 moves a part: 20,000 in all; a part stays at or above its minimum but at the end
            at = now - timedelta(days=400 - m * 40, hours=rng.randint(0, 8))
            if m == 0 or on_hand <= minimum:
                quantity, kind = minimum * 3 - on_hand, MoveKind.RECEIVE
            elif m == 5 and n % 50 == 1:
                quantity, kind = -1, MoveKind.CORRECTION
            else:
                quantity, kind = -rng.randint(1, min(on_hand - minimum, 3)), MoveKind.ISSUE
            if below and m == 9:
                quantity, kind = -(on_hand - minimum + 1), MoveKind.ISSUE
            on_hand += quantity
            moves.append(dict(region_id=region_id, part_id=part_id, kind=kind, quantity=quantity,
                              reason="盘点差异" if kind is MoveKind.CORRECTION else "",
                              reference=f"服务工单 {part_id}-{m}" if kind is MoveKind.ISSUE else "送货单",
                              transfer_id=None, by_id=rep_id, at=at))
    _insert(SparePart.__table__, parts)
    _insert(part_models, fits)
    _insert(PartStock.__table__, stock)
    _insert(StockMove.__table__, moves)
    if db.engine.dialect.name == "postgresql":
        for table in ("machine_models", "installed_equipment", "spare_parts", "part_stock"):
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    return {"machines": len(machines), "parts": len(parts), "stock_moves": len(moves)}


def pages(app) -> dict[str, str]:
    """The companies list in its variants, then every page that needs at most one known id."""
    busy = db.session.scalar(sa.select(Visit.company_id).group_by(Visit.company_id)
                             .order_by(sa.func.count().desc(), Visit.company_id).limit(1)) or 1
    market = db.session.scalar(sa.select(Market.id).where(Market.name == "眼镜"))
    seminar = db.session.scalar(sa.select(Seminar).where(Seminar.status == SeminarStatus.OPEN).order_by(Seminar.id))
    ids = {
        "company_id": busy, "market_id": market, "association_id": db.session.scalar(sa.select(sa.func.min(Association.id))),
        "expert_id": db.session.scalar(sa.select(sa.func.min(Expert.id))),
        "visit_id": db.session.scalar(sa.select(sa.func.max(Visit.id))),
        "seminar_id": seminar.id if seminar else None, "slug": seminar.slug if seminar else None,
        "plan_id": db.session.scalar(sa.select(sa.func.min(AccountPlan.id))),
        "case_id": db.session.scalar(sa.text("SELECT min(id) FROM service_cases WHERE next_due_at IS NOT NULL")),
        "part_id": 1, "stock_id": db.session.scalar(sa.select(sa.func.min(PartStock.id))),
        "equipment_id": db.session.scalar(sa.select(sa.func.min(InstalledEquipment.id))),
        "model_id": db.session.scalar(sa.select(sa.func.min(MachineModel.id))),
    }
    machine_company = db.session.scalar(sa.select(InstalledEquipment.company_id).group_by(InstalledEquipment.company_id)
                                        .order_by(sa.func.count().desc()).limit(1))
    key_account = db.session.scalar(sa.select(AccountPlan.company_id).order_by(AccountPlan.id).limit(1))
    urls = {
        "home (rep)": "/",
        "companies": "/companies/",
        "companies search 华信": "/companies/?q=华信",
        "companies search by phone": "/companies/?q=13000000",
        "companies market+stage filter": f"/companies/?market={market}&stage=target",
        "companies page 40": "/companies/?page=40",
        "companies by score, page 40": "/companies/?sort=-score&page=40",
        "company page": f"/companies/{busy}",
        "key account page": f"/companies/{key_account}",
        "companies attention due": "/companies/?due=1",
        "companies by health, worst first": "/companies/?sort=health",
        "key accounts, worst health first": "/key-accounts/",
        "service queue (3,000 cases)": "/service/",
        "service queue, all statuses, page 40": "/service/?status=all&page=40",
        "service queue, mine, critical": "/service/?owner=me&severity=critical",
        "stock (2,000 parts)": "/stock/",
        "stock below minimum": "/stock/?below=1",
        "stock search": "/stock/?q=SP-01",
        "stock page 40": "/stock/?page=40",
        "to reorder": "/stock/reorder",
        "installed base (5,000 machines)": "/equipment/",
        "installed base, warranty ending": "/equipment/?warranty=soon",
        "installed base, search, page 10": "/equipment/?q=SN00&page=10",
        "company with the most machines": f"/companies/{machine_company}",
        "parts catalogue, page 40": "/parts/?page=40",
    }
    skip_words = ("qr", "ics", "csv", "export", "feed", "count", "options", "check", "healthz", "static")
    with app.test_request_context():
        from flask import url_for
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint.startswith("auth.") \
                    or any(w in rule.endpoint.split(".")[-1] or w in rule.rule for w in skip_words):
                continue
            args = {a: ids.get(a) for a in rule.arguments}
            if "kind" in args:
                args["kind"] = "attendees"
            if any(v is None for v in args.values()):
                continue
            url = url_for(rule.endpoint, **args)
            if url not in urls.values():
                urls[rule.endpoint] = url
    return urls


# Pages measured as the region's manager (the others as its rep): what a manager's page shows differs.
# A value may be (url, headers): the funnels the home page loads after itself, as htmx asks for them
# (measured warm: the funnel keeps its figures until the data changes, and nothing writes here).
MANAGER_PAGES = {"home (manager)": "/",
                 "home's funnels (manager, htmx)": ("/home/push", {"HX-Request": "true", "HX-Target": "push"})}


def measure(app, urls: dict[str, str], runs: int, email: str = "rep@bench.example.com") -> list[dict]:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    results = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for label, url in urls.items():
            url, headers = (url, {}) if isinstance(url, str) else url
            with client.get(url, headers=headers) as first:  # closed, as a WSGI server closes each response
                status = first.status_code
            if status != 200:
                results.append(dict(page=label, url=url, skipped=status))
                continue
            client.get(url, headers=headers).close()
            times, cpu, counts = [], [], set()
            for _ in range(runs):
                statements.clear()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = client.get(url, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                counts.add(len(statements))
                assert response.status_code == 200, (url, response.status_code)
                response.close()  # after the answer has gone (what runs on close is not the reader's wait)
            times.sort()
            results.append(dict(page=label, url=url, median_ms=round(statistics.median(times), 1),
                                p95_ms=round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                                cpu_ms=round(statistics.median(cpu), 1),
                                queries=max(counts), queries_varied=len(counts) > 1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return results


def run(backend: str, url: str, companies: int, args, runs: int) -> tuple[dict, list[dict]]:
    class Cfg(BenchConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Cfg)
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(revision="heads")
        db.session.info["skip_audit"] = True  # bulk rows are not a team's edits
        start = time.perf_counter()
        sizes = seed(companies, args.full, random.Random(7))
        sizes["seed_seconds"] = round(time.perf_counter() - start, 1)
        db.session.info.pop("skip_audit", None)
        # Planner statistics, as a database that has lived a while has them (autovacuum on
        # PostgreSQL would gather them soon after a bulk load; SQLite only on request).
        # In a transaction that commits: on SQLite the app's "begin" hook opens one even in AUTOCOMMIT
        # mode, which then rolled the statistics back unseen (ANALYZE runs in a transaction on both).
        if backend == "postgresql":
            # And vacuumed, as autovacuum leaves a table soon after a bulk load (PostgreSQL 13+ vacuums
            # after inserts too): until then no index-only scan, and the planner's costs differ.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        urls = {label: url for label, url in pages(app).items() if not args.only or args.only in label}
        db.session.remove()
    manager_urls = {label: url for label, url in MANAGER_PAGES.items() if not args.only or args.only in label}
    # Measured as a worker that has served a while: every page once (its SQL compiled, its templates
    # loaded), then what it holds frozen as wsgi.py's app does at start and once warm (app.core.memory).
    measure(app, urls, 1)
    measure(app, manager_urls, 1, email="manager@bench.example.com")
    freeze()
    results = measure(app, urls, runs)
    results += measure(app, manager_urls, runs, email="manager@bench.example.com")
    with app.app_context():
        db.engine.dispose()
    return sizes, results


def report(backend: str, sizes: dict, results: list[dict], runs: int, small: dict | None) -> dict:
    seeded = sizes.pop("seed_seconds")
    print(f"\n{backend}: seeded {', '.join(f'{v:,} {k}' for k, v in sizes.items())} in {seeded:.1f} s; "
          f"{runs} requests per page")
    compare = f"{'at ' + format(small['companies'], ','):>10}" if small else ""
    print(f"{'page':<42}{'median ms':>10}{'p95 ms':>9}{'cpu ms':>8}{'queries':>9}{compare}")
    counts = {r["page"]: r.get("queries") for r in small["pages"]} if small else {}
    grew = []
    for r in results:
        if "skipped" in r:
            print(f"{r['page']:<42}{'skipped: answered ' + str(r['skipped']):>28}")
            continue
        other = f"{counts.get(r['page'], '-')!s:>10}" if small else ""
        flag = "  (varied between requests)" if r["queries_varied"] else ""
        if small and counts.get(r["page"]) not in (None, r["queries"]):
            grew.append(r["page"])
            flag += "  <- differs with the data size"
        print(f"{r['page']:<42}{r['median_ms']:>10}{r['p95_ms']:>9}{r['cpu_ms']:>8}{r['queries']:>9}{other}{flag}")
    if small:
        print("query counts equal at both sizes" if not grew else f"query count changes with size: {', '.join(grew)}")
    RESULTS.mkdir(exist_ok=True)
    figures = dict(backend=backend, sizes=sizes, seed_seconds=seeded, runs=runs, pages=results, compared_with=small)
    (RESULTS / f"{backend}-{sizes['companies']}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))
    return figures


def sqlite_url(name: str) -> str:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--full", action=argparse.BooleanOptionalAction, default=True,
                        help="also seminars, registrations and visits at DESIGN.md sizes (default on)")
    parser.add_argument("--compare", type=int, metavar="N",
                        help="also count each page's queries at N companies (SQLite) and compare")
    parser.add_argument("--postgres", metavar="URL", help="also run on a throwaway database on this server")
    parser.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL run")
    parser.add_argument("--sqlite-file", default="bench.db", metavar="NAME",
                        help="the SQLite database's file in benchmarks/results/ (default bench.db)")
    parser.add_argument("--only", metavar="TEXT", help="only the pages whose label contains TEXT (e.g. home)")
    parser.add_argument("--json", metavar="PATH", help="also write every run's figures to PATH, by backend "
                        '({"sqlite": {...}, "postgresql": {...}}; benchmarks/bench_all.py reads it)')
    args = parser.parse_args()

    small = None
    if args.compare:
        sizes, results = run("sqlite", sqlite_url("bench-small.db"), args.compare, args, runs=1)
        small = dict(companies=sizes["companies"], pages=results)
    out = {}
    if not args.no_sqlite:
        out["sqlite"] = report("sqlite", *run("sqlite", sqlite_url(args.sqlite_file), args.companies, args, args.runs),
                               args.runs, small)
    if args.postgres:
        server = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
            out["postgresql"] = report("postgresql", *run("postgresql", url, args.companies, args, args.runs),
                                       args.runs, small)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
