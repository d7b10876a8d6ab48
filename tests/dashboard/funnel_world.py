"""A hand-built region whose funnel is worked out by hand in tests/dashboard/test_funnel.py.

Wenzhou (today 15 June 2026, Asia/Shanghai; the trend's quarters run 2024Q3 … 2026Q2):

- 眼镜 (M1) with the association A1, our membership active since 10 January 2026;
  制笔 (M2) with A2, where we only applied.
- 甲 (M1, member of A1, entered 2025-12-01): attended S1 (M1, 2026-02-10), made a target
  2026-03-01, visited 2026-04-01 01:00 local (2026-03-31 17:00 UTC: the second quarter in
  Shanghai), opportunity 2026-04-20, order ¥100,000.00 and won 2026-05-10, key account (tier B)
  2026-06-01. Passes every step.
- 乙 (M1, A1, entered 2026-02-01): attended S1, target 2026-02-20, a visit only planned.
- 丙 (M1, A1, entered 2026-01-20 as engaged): visit done 2026-03-03, opportunity 2026-03-15; no seminar.
- 丁 (M1, no association, entered 2025-08-01 as won): visit done 2025-09-01, attended S1, an order
  of ¥50,000.00 on 2025-09-15.
- 戊 (M1, A1, entered 2025-10-01): target 2025-11-01, dormant since 2026-01-05; attended S1.
- 己 (M1, A1, entered 2026-04-02, a prospect): did not show up at S1.
- 庚 (M2, A2, entered 2025-05-05 as a tier-A key account): visit done 2025-06-01, attended S2 (M2,
  2025-07-01), order ¥300,000.00 on 2026-04-01.
- 辛 (no market, entered 2026-05-01 as a target): attended S3 (no market, 2026-05-05).

Wuxi has a market, an active association and a company that passes every step: never counted in
Wenzhou, never listed there.
"""
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.accounts.models import Company, Opportunity, OpportunityStage, Order, Stage, Tier
from app.accounts.naming import name_key
from app.associations.models import Association, Membership, MembershipStatus
from app.auth.services import get_or_create_region
from app.extensions import db
from app.keyaccounts.models import ChangeCause, StageChange
from app.markets.models import Market
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.visits.models import Visit, VisitStatus

TODAY = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class World:
    wenzhou: object
    wuxi: object
    m1: Market
    m2: Market
    wuxi_market: Market
    companies: dict


def build_world() -> World:
    wenzhou, wuxi = get_or_create_region("Wenzhou"), get_or_create_region("Wuxi")
    m1 = Market(region=wenzhou, name="眼镜")
    m2 = Market(region=wenzhou, name="制笔")
    mx = Market(region=wuxi, name="电线电缆")
    a1 = Association(region=wenzhou, name="温州市眼镜商会", markets=[m1], memberships=[
        Membership(status=MembershipStatus.ACTIVE, joined_on=date(2026, 1, 10), expires_on=date(2027, 1, 9))])
    a2 = Association(region=wenzhou, name="温州市制笔协会", markets=[m2], memberships=[
        Membership(status=MembershipStatus.APPLIED)])
    ax = Association(region=wuxi, name="无锡市电线电缆商会", markets=[mx], memberships=[
        Membership(status=MembershipStatus.ACTIVE, joined_on=date(2025, 3, 1))])
    db.session.add_all([m1, m2, mx, a1, a2, ax])

    def company(key, name, region, created, stage=Stage.PROSPECT, markets=(), associations=(), tier=None):
        c = Company(name=name, name_key=name_key(name), region=region, stage=stage, tier=tier, created_at=created,
                    markets=list(markets), associations=list(associations))
        db.session.add(c)
        return c

    cs = {
        "jia": company("jia", "温州甲眼镜有限公司", wenzhou, utc(2025, 12, 1), Stage.KEY_ACCOUNT, [m1], [a1], Tier.B),
        "yi": company("yi", "温州乙眼镜有限公司", wenzhou, utc(2026, 2, 1), Stage.TARGET, [m1], [a1]),
        "bing": company("bing", "温州丙眼镜有限公司", wenzhou, utc(2026, 1, 20), Stage.ENGAGED, [m1], [a1]),
        "ding": company("ding", "温州丁眼镜有限公司", wenzhou, utc(2025, 8, 1), Stage.WON, [m1], []),
        "wu": company("wu", "温州戊眼镜有限公司", wenzhou, utc(2025, 10, 1), Stage.DORMANT, [m1], [a1]),
        "ji": company("ji", "温州己眼镜有限公司", wenzhou, utc(2026, 4, 2), Stage.PROSPECT, [m1], [a1]),
        "geng": company("geng", "温州庚笔业有限公司", wenzhou, utc(2025, 5, 5), Stage.KEY_ACCOUNT, [m2], [a2], Tier.A),
        "xin": company("xin", "温州辛贸易有限公司", wenzhou, utc(2026, 5, 1), Stage.TARGET),
        "wx": company("wx", "无锡电缆有限公司", wuxi, utc(2025, 4, 1), Stage.KEY_ACCOUNT, [mx], [ax], Tier.A),
    }
    db.session.flush()

    def seminar(region, market, starts, title):
        s = Seminar(region=region, market=market, title=title, starts_at=starts, ends_at=starts.replace(hour=9),
                    status=SeminarStatus.HELD, slug=secrets.token_hex(6))
        db.session.add(s)
        return s

    s1 = seminar(wenzhou, m1, utc(2026, 2, 10, 6), "眼镜讲座")
    s2 = seminar(wenzhou, m2, utc(2025, 7, 1, 6), "制笔讲座")
    s3 = seminar(wenzhou, None, utc(2026, 5, 5, 6), "综合讲座")
    sx = seminar(wuxi, mx, utc(2026, 2, 10, 6), "电缆讲座")
    for seminar_, key, status in [(s1, "jia", RegistrationStatus.ATTENDED), (s1, "yi", RegistrationStatus.ATTENDED),
                                  (s1, "ding", RegistrationStatus.ATTENDED), (s1, "wu", RegistrationStatus.ATTENDED),
                                  (s1, "ji", RegistrationStatus.NO_SHOW), (s2, "geng", RegistrationStatus.ATTENDED),
                                  (s3, "xin", RegistrationStatus.ATTENDED), (sx, "wx", RegistrationStatus.ATTENDED)]:
        db.session.add(Registration(seminar=seminar_, name="张三", status=status, company=cs[key],
                                    cancel_token=secrets.token_urlsafe(16)))

    def visit(key, starts, status=VisitStatus.DONE):
        c = cs[key]
        db.session.add(Visit(region_id=c.region_id, company=c, starts_at=starts,
                             ends_at=starts.replace(hour=starts.hour + 2), status=status))

    visit("jia", utc(2026, 3, 31, 17))  # 2026-04-01 01:00 in Shanghai
    visit("yi", utc(2026, 6, 20, 2), VisitStatus.PLANNED)
    visit("bing", utc(2026, 3, 3, 2))
    visit("ding", utc(2025, 9, 1, 2))
    visit("geng", utc(2025, 6, 1, 2))
    visit("wx", utc(2026, 3, 3, 2))

    db.session.add_all([
        Opportunity(company=cs["jia"], title="数控车床", stage=OpportunityStage.WON, value_cents=100_000_00,
                    expected_decision_on=date(2026, 5, 10), created_at=utc(2026, 4, 20)),
        Opportunity(company=cs["bing"], title="抛光机", stage=OpportunityStage.SPOTTED, created_at=utc(2026, 3, 15)),
        Opportunity(company=cs["wx"], title="挤塑机", stage=OpportunityStage.WON, created_at=utc(2026, 1, 5)),
        Order(company=cs["jia"], amount_cents=100_000_00, ordered_on=date(2026, 5, 10)),
        Order(company=cs["ding"], amount_cents=50_000_00, ordered_on=date(2025, 9, 15)),
        Order(company=cs["geng"], amount_cents=300_000_00, ordered_on=date(2026, 4, 1)),
        Order(company=cs["wx"], amount_cents=700_000_00, ordered_on=date(2026, 2, 1)),
    ])
    for key, at, from_stage, to_stage, to_tier in [
            ("jia", utc(2026, 3, 1), Stage.PROSPECT, Stage.TARGET, None),
            ("jia", utc(2026, 5, 10, 10), Stage.TARGET, Stage.WON, None),
            ("jia", utc(2026, 6, 1, 10), Stage.WON, Stage.KEY_ACCOUNT, Tier.B),
            ("yi", utc(2026, 2, 20), Stage.PROSPECT, Stage.TARGET, None),
            ("wu", utc(2025, 11, 1), Stage.PROSPECT, Stage.TARGET, None),
            ("wu", utc(2026, 1, 5), Stage.TARGET, Stage.DORMANT, None)]:
        db.session.add(StageChange(company=cs[key], changed_at=at, from_stage=from_stage, to_stage=to_stage,
                                   to_tier=to_tier, cause=ChangeCause.EDITED))
    db.session.commit()
    return World(wenzhou, wuxi, m1, m2, mx, cs)
