"""Service cases through their services: clocks from the SLA policy on the business calendar, the
lifecycle, pauses, re-targeting, parts and visits, the SLA check (each warning and breach once),
and the account facts (at risk)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Tier
from app.equipment.services import StockError, on_hand
from app.extensions import db
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.service import services
from app.service.models import CaseEvent, CaseStatus, ClockKind, DayKind, EventKind, ServiceCase, Severity, SlaPolicy
from tests.service.conftest import act, forget_calendars, sh

H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _in_a_request(app):
    """Services speak the person's language (messages, dates): as in a request, here in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def clocks(case) -> dict:
    db.session.expire_all()
    case = db.session.get(ServiceCase, case.id)
    return {c.kind: c for c in case.current_clocks}


def due(case) -> dict:
    return {kind: clock.due_at for kind, clock in clocks(case).items()}


def test_a_tier_a_case_gets_design_times_in_business_hours(make_key_account, make_case, clock):
    company = make_key_account(tier="A")
    clock.set(sh(2026, 3, 6, 16, 0))  # Friday 16:00
    case = make_case(company, "high")
    # 2 h: Friday 16:00-17:30 is 1.5 h, then Monday 09:00; 24 h: 1.5 + Mon 9 + Tue 9 + Wed 4.5 (13:00).
    # 72 h: Friday 1.5, seven working days to Tuesday 17 March (64.5), Wednesday 7.5 more (16:00).
    assert due(case) == {ClockKind.RESPONSE: sh(2026, 3, 9, 9, 0), ClockKind.ON_SITE: sh(2026, 3, 11, 13, 0),
                         ClockKind.RESOLUTION: sh(2026, 3, 18, 16, 0)}
    assert case.sla_tier is Tier.A and case.status is CaseStatus.NEW
    assert case.next_due_at == sh(2026, 3, 9, 9, 0)
    assert clocks(case)[ClockKind.RESPONSE].warn_at == sh(2026, 3, 9, 8, 36)  # 80 % of 2 h: 1 h 36 min


def test_no_tier_counts_as_c_and_severity_scales_the_design_times(make_company, make_case, clock):
    plain = make_company()
    case = make_case(plain, "normal")
    assert case.sla_tier is Tier.C
    assert {k: c.target_minutes // 60 for k, c in clocks(case).items()} == {
        ClockKind.RESPONSE: 8, ClockKind.ON_SITE: 72, ClockKind.RESOLUTION: 240}
    critical = make_case(plain, "critical")
    assert [c.target_minutes // 60 for c in clocks(critical).values()] == [4, 36, 120]
    low = make_case(plain, "low")
    assert [c.target_minutes // 60 for c in clocks(low).values()] == [16, 144, 480]


def test_a_regions_policy_overrides_the_default(make_key_account, make_case):
    company = make_key_account(tier="B")
    db.session.add(SlaPolicy(region_id=company.region_id, tier=Tier.B, severity=Severity.NORMAL, response_hours=1,
                             on_site_hours=8, resolution_hours=16))
    db.session.commit()
    case = make_case(company, "normal")
    assert [c.target_minutes // 60 for c in clocks(case).values()] == [1, 8, 16]


def test_clocks_skip_spring_festival_and_count_make_up_days(make_key_account, make_case, clock, china_days):
    company = make_key_account(tier="C")
    clock.set(sh(2026, 2, 13, 16, 30))  # Friday before the festival
    case = make_case(company, "normal")  # 8 h to respond
    # Fri 16:30-17:30 (1 h), Saturday 14 Feb is a make-up day (7 h more: 15:30).
    assert due(case)[ClockKind.RESPONSE] == sh(2026, 2, 14, 15, 30)


def test_lifecycle_and_what_each_step_stops(make_key_account, make_case, clock, make_user):
    rep = make_user("rep")
    case = make_case(make_key_account(tier="A"), "high", by=rep)
    with pytest.raises(services.CaseError, match="Acknowledge the case first"):
        services.act(case, "resolve", by=rep)
    db.session.rollback()
    assert db.session.get(ServiceCase, case.id).status is CaseStatus.NEW

    clock.advance(hours=1)
    act(case, "acknowledge", rep)
    c = clocks(case)
    assert c[ClockKind.RESPONSE].stopped_at == clock.now and c[ClockKind.RESPONSE].met
    assert c[ClockKind.ON_SITE].stopped_at is None
    clock.advance(hours=3)
    act(case, "arrive", rep)
    assert clocks(case)[ClockKind.ON_SITE].met
    act(case, "resolve", rep, note="更换主轴轴承")
    case = db.session.get(ServiceCase, case.id)
    assert case.status is CaseStatus.RESOLVED and case.next_due_at is None and case.resolved_at == clock.now
    act(case, "close", rep)
    with pytest.raises(services.CaseError, match="Only a resolved case can be closed"):
        services.act(db.session.get(ServiceCase, case.id), "close", by=rep)
    db.session.rollback()
    clock.advance(days=2)
    act(db.session.get(ServiceCase, case.id), "reopen", rep)
    case = db.session.get(ServiceCase, case.id)
    assert case.status is CaseStatus.REOPENED and case.reopen_count == 1 and case.closed_at is None
    rounds = sorted((c.kind.value, c.round) for c in case.clocks)
    assert rounds == [("on_site", 0), ("resolution", 0), ("resolution", 1), ("response", 0)]
    new = clocks(case)[ClockKind.RESOLUTION]
    assert new.round == 1 and new.started_at == clock.now and case.next_due_at == new.due_at
    events = [(e.from_status, e.to_status) for e in reversed(case.events) if e.kind is EventKind.STATUS]
    assert [t.value for _f, t in events] == ["acknowledged", "on_site", "resolved", "closed", "reopened"]


def test_resolving_without_going_on_site_makes_the_on_site_clock_not_needed(make_key_account, make_case, clock):
    case = make_case(make_key_account(tier="A"), "normal")
    act(case, "acknowledge")
    act(case, "resolve")
    on_site = clocks(case)[ClockKind.ON_SITE]
    assert on_site.stopped_at is not None and not on_site.met
    view = {v.kind: v for v in services.clock_views(db.session.get(ServiceCase, case.id))}
    assert view[ClockKind.ON_SITE].state == "not_needed" and view[ClockKind.RESOLUTION].state == "met"


def test_waiting_for_the_customer_pauses_every_running_clock(make_key_account, make_case, clock):
    clock.set(sh(2026, 3, 2, 9, 0))
    case = make_case(make_key_account(tier="B"), "normal")  # 4 / 48 / 120 business hours
    act(case, "acknowledge")
    before = due(case)
    clock.set(sh(2026, 3, 2, 10, 0))
    act(case, "wait", note="等客户确认停机时间")
    case = db.session.get(ServiceCase, case.id)
    assert case.status is CaseStatus.WAITING and case.paused_at == clock.now and case.next_due_at is None
    views = {v.kind: v for v in services.clock_views(case, sh(2026, 3, 3, 12, 0))}
    assert views[ClockKind.ON_SITE].state == "paused" and views[ClockKind.ON_SITE].left == 47 * H  # frozen at the pause
    clock.set(sh(2026, 3, 3, 10, 0))  # a working day later: 9 business hours of waiting
    act(case, "resume")
    case = db.session.get(ServiceCase, case.id)
    assert case.status is CaseStatus.ACKNOWLEDGED and case.paused_at is None
    after = due(case)
    calendar = services.calendar_for(case.region)
    for kind in (ClockKind.ON_SITE, ClockKind.RESOLUTION):
        assert services.business_time_between(calendar, before[kind], after[kind]) == 9 * H
    assert after[ClockKind.RESPONSE] == before[ClockKind.RESPONSE]  # stopped before the pause
    assert case.next_due_at == after[ClockKind.ON_SITE]
    assert [(p.started_at, p.ended_at) for p in case.pauses] == [(sh(2026, 3, 2, 10, 0), sh(2026, 3, 3, 10, 0))]


def test_resolving_while_waiting_ends_the_pause(make_key_account, make_case, clock):
    case = make_case(make_key_account(tier="B"))
    act(case, "acknowledge")
    act(case, "wait")
    clock.advance(hours=2)
    act(case, "resolve")
    case = db.session.get(ServiceCase, case.id)
    assert case.paused_at is None and case.pauses[0].ended_at == clock.now and case.status is CaseStatus.RESOLVED


def test_a_new_severity_re_targets_only_running_clocks(make_key_account, make_case, clock):
    case = make_case(make_key_account(tier="A"), "normal")
    act(case, "acknowledge")
    case = db.session.get(ServiceCase, case.id)
    services.update_case(case, severity=Severity.CRITICAL, channel=case.channel, description=case.description,
                         over_the_head=False, owner=case.owner, equipment=None, by=None)
    db.session.commit()
    targets = {k: c.target_minutes // 60 for k, c in clocks(case).items()}
    assert targets == {ClockKind.RESPONSE: 2, ClockKind.ON_SITE: 12, ClockKind.RESOLUTION: 36}
    case = db.session.get(ServiceCase, case.id)
    assert case.events[0].kind is EventKind.EDITED and case.events[0].note == "severity Critical"


def test_a_holiday_added_later_moves_open_cases(make_key_account, make_case, clock):
    clock.set(sh(2026, 3, 2, 9, 0))
    case = make_case(make_key_account(tier="C"), "normal")  # 72 h on site: 8 working days
    before = due(case)[ClockKind.ON_SITE]
    services.add_day(sh(2026, 3, 4, 0, 0).date(), DayKind.HOLIDAY, "测试假日")
    db.session.commit()
    forget_calendars()
    after = due(case)[ClockKind.ON_SITE]
    assert services.business_time_between(services.calendar_for(case.region), before, after) == 9 * H


def test_the_machine_must_be_the_companys(make_key_account, make_company, make_machine, make_case):
    company, other = make_key_account(), make_company()
    with pytest.raises(services.CaseError):
        make_case(company, equipment=make_machine(other))
    db.session.rollback()
    assert db.session.scalar(select(func.count(ServiceCase.id))) == 0


def test_parts_issued_to_a_case_come_off_the_regions_stock(make_key_account, make_case, make_part, make_user):
    rep = make_user("rep")
    case = make_case(make_key_account())
    part = make_part(on_hand=3)
    services.issue_part_to_case(case, part, 2, by=rep)
    db.session.commit()
    assert on_hand(case.region_id, [part.id]) == {part.id: 1}
    with pytest.raises(StockError, match="Only 1 on hand"):
        services.issue_part_to_case(db.session.get(ServiceCase, case.id), part, 2, by=rep)
    db.session.rollback()
    case = db.session.get(ServiceCase, case.id)
    assert [m.quantity for m in case.moves] == [-2] and on_hand(case.region_id, [part.id]) == {part.id: 1}
    assert [e.kind for e in case.events].count(EventKind.PART) == 1


def test_only_visits_to_the_cases_company_are_linked(make_key_account, make_company, make_case, make_visit):
    company, other = make_key_account(), make_company()
    case = make_case(company)
    start = case.received_at + timedelta(days=1)
    mine, theirs = make_visit(company, start, start + 2 * H), make_visit(other, start, start + 2 * H)
    assert services.visits_to_link(case) == [mine]
    with pytest.raises(services.CaseError):
        services.link_visit(case, theirs, by=None)
    services.link_visit(case, mine, by=None)
    db.session.commit()
    assert db.session.get(ServiceCase, case.id).visits == [mine] and services.visits_to_link(case) == []


# ---- warnings and breaches


@pytest.fixture
def team(make_user):
    return {"owner": make_user("rep", name="林业务"), "manager": make_user("manager", name="王经理"),
            "other_manager": make_user("manager", region="Wuxi", name="无锡经理")}


def notifications() -> list[tuple[str, str]]:
    return sorted(db.session.execute(select(Notification.kind, Notification.key)).all())


def test_warned_at_80_percent_and_told_of_a_breach_once(make_key_account, make_case, clock, team):
    clock.set(sh(2026, 3, 2, 9, 0))
    case = make_case(make_key_account(tier="A"), "high", owner=team["owner"])  # respond within 2 h
    assert services.check_sla() == (0, 0)
    clock.set(sh(2026, 3, 2, 10, 30))  # 1.5 h of 2 h: 75 %
    assert services.check_sla() == (0, 0)
    clock.set(sh(2026, 3, 2, 10, 40))  # 83 %
    assert services.check_sla() == (1, 0)
    assert services.check_sla() == (0, 0)
    assert notifications() == [("sla_warning", f"sla_warning:case:{case.id}:response:0")]
    assert db.session.scalar(select(Notification.user_id)) == team["owner"].id
    clock.set(sh(2026, 3, 2, 11, 5))
    assert services.check_sla() == (0, 1)
    assert services.check_sla() == (0, 0)
    told = db.session.execute(select(Notification.user_id, Notification.kind).where(Notification.kind == "sla_breach"))
    assert sorted(told.all()) == sorted([(team["owner"].id, "sla_breach"), (team["manager"].id, "sla_breach")])
    mails = db.session.scalar(select(func.count(OutboxMessage.id)))
    assert mails == 3  # each notification mailed once through the outbox
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind.in_([EventKind.WARNING, EventKind.BREACH]))
                                .order_by(CaseEvent.id)).all()
    assert [(e.kind, e.clock) for e in events] == [(EventKind.WARNING, ClockKind.RESPONSE),
                                                   (EventKind.BREACH, ClockKind.RESPONSE)]
    assert events[1].note == "林业务、王经理"


def test_a_late_step_is_still_a_breach_and_a_pause_before_the_due_time_is_not(make_key_account, make_case, clock,
                                                                             team):
    clock.set(sh(2026, 3, 2, 9, 0))
    late = make_case(make_key_account(tier="A"), "high", owner=team["owner"])
    paused = make_case(make_key_account(tier="A"), "high", owner=team["owner"])
    act(paused, "acknowledge")
    clock.set(sh(2026, 3, 2, 11, 30))
    act(late, "acknowledge")  # 2.5 h for a 2 h response, before any check ran
    act(late, "resolve")
    act(paused, "wait")
    clock.set(sh(2026, 3, 10, 9, 0))  # waiting a week: its on-site clock does not run out
    assert services.check_sla() == (0, 1)
    assert {k for _kind, k in notifications()} == {f"sla_breach:case:{late.id}:response:0"}
    view = {v.kind: v for v in services.clock_views(db.session.get(ServiceCase, late.id))}
    assert view[ClockKind.RESPONSE].state == "late" and view[ClockKind.RESPONSE].left == timedelta(minutes=30)


def test_without_an_owner_the_managers_are_warned(make_company, make_case, clock, team):
    clock.set(sh(2026, 3, 2, 9, 0))
    case = make_case(make_company(), "critical")  # tier C critical: 4 h
    assert case.owner is None
    clock.set(sh(2026, 3, 2, 12, 30))
    assert services.check_sla() == (1, 0)
    assert db.session.scalar(select(Notification.user_id)) == team["manager"].id


def test_the_cli_runs_the_check(make_key_account, make_case, clock, team, runner):
    clock.set(sh(2026, 3, 2, 9, 0))
    make_case(make_key_account(tier="A"), "high", owner=team["owner"])
    clock.set(sh(2026, 3, 3, 9, 0))
    result = runner.invoke(args=["check-sla"])
    # A working day later: 9 business hours of 2 (response) and of 24 (on site, 80 % is 19.2 h).
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "SLA check: 0 warnings, 1 breach notified."
    assert runner.invoke(args=["check-sla"]).output.strip() == "SLA check: 0 warnings, 0 breaches notified."
    assert len(notifications()) == 2  # the owner and the manager


# ---- account facts


def test_at_risk_after_a_second_breach_within_90_days(make_key_account, make_case, clock):
    company = make_key_account(tier="A")
    clock.set(sh(2026, 3, 2, 9, 0))
    first = make_case(company, "high")
    clock.set(sh(2026, 3, 2, 11, 30))
    act(first, "acknowledge")  # half an hour late: one breach
    act(first, "resolve")
    facts = services.account_service_facts([company.id])[company.id]
    assert facts == {"open": 0, "breaches": 1, "at_risk": False, "over_the_head": 0}
    clock.set(sh(2026, 4, 20, 9, 0))
    second = make_case(company, "high")
    clock.set(sh(2026, 4, 20, 13, 0))  # nobody answered: the second breach counts without the job
    facts = services.account_service_facts([company.id])[company.id]
    assert facts == {"open": 1, "breaches": 2, "at_risk": True, "over_the_head": 0}
    clock.set(sh(2026, 9, 1, 9, 0))  # both breaches more than 90 days ago
    act(second, "acknowledge")
    act(second, "resolve")
    facts = services.account_service_facts([company.id])[company.id]
    assert facts == {"open": 0, "breaches": 0, "at_risk": False, "over_the_head": 0}


def test_an_over_the_head_complaint_puts_the_account_at_risk(make_key_account, make_case, clock):
    company, calm = make_key_account(), make_key_account()
    make_case(company, channel="head_office")
    facts = services.account_service_facts([company.id, calm.id, 987654])
    assert facts[company.id] == {"open": 1, "breaches": 0, "at_risk": True, "over_the_head": 1}
    assert facts[calm.id]["at_risk"] is False and facts[987654]["open"] == 0


def test_account_facts_take_one_query_whatever_the_number_of_accounts(make_key_account, make_case, queries):
    companies = [make_key_account() for _ in range(6)]
    for company in companies:
        make_case(company)
    ids = [c.id for c in companies]
    with queries() as q:
        facts = services.account_service_facts(ids)
    assert len(q) == 1 and sum(f["open"] for f in facts.values()) == 6
