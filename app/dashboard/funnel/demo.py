"""Demo data for the breakthrough funnel: the push as the playbook runs it, quarter after quarter.

The rest of the demo holds its seminars in the last few months and its visits in the last five,
with attendees drawn at random; a market's funnel then stops at its second step and its trend
shows one quarter. Here, for every market whose association we joined, two or three technical
seminars are held between joining and now; most of the companies the push reached (targets and
beyond) attended one, the furthest along the earliest, as did some prospects; and the companies
that reached an opportunity had a first visit between that seminar and the visits already there.

Called by app/demo.py once the companies, visits and seminars exist:

    seed_funnel_demo(seed=SEED + 12, today=self.today, zone=TZ, markets=self.markets,
                     associations=self.associations, companies=self.companies)

It draws from a random generator of its own, so the rest of the demo data stays as it was.
"""
import random
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.accounts.models import Company, Stage
from app.associations.models import Association, MembershipStatus
from app.extensions import db
from app.markets.models import Market
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.visits.models import Purpose, Visit, VisitMember, VisitStatus

PUSHED = (Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)
FURTHEST = (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)
# How likely a company of each stage came to one of the market's seminars.
ATTENDS = {Stage.PROSPECT: 0.2, Stage.DORMANT: 0.3, Stage.TARGET: 0.75, Stage.ENGAGED: 0.8,
           Stage.OPPORTUNITY: 0.85, Stage.WON: 0.9, Stage.KEY_ACCOUNT: 0.9}
TITLES = ["{tag}技术交流会", "{tag}与降本增效讲座", "{market}行业{tag}现场研讨会"]
# The first visits happened before the rest of the demo's visits, which lie in the last 150 days.
OLDEST_OTHER_VISIT = 160


def seed_funnel_demo(*, seed: int, today: date, zone: ZoneInfo, markets: dict[str, list[tuple[Market, dict]]],
                     associations: dict[int, Association], companies: dict[str, list[Company]]) -> None:
    rng = random.Random(seed)
    slugs = set(db.session.scalars(select(Seminar.slug)))
    booked: set[tuple[int, date]] = set()
    for region_name, region_markets in markets.items():
        for market, spec in region_markets:
            association = associations[id(market)]
            terms = association.memberships
            if not any(t.status is MembershipStatus.ACTIVE for t in terms):
                continue
            joined = min(t.joined_on for t in terms if t.joined_on)
            first, last = max(joined + timedelta(days=20), today - timedelta(days=540)), today - timedelta(days=25)
            if (last - first).days < 30:
                continue
            days = sorted(first + timedelta(days=d) for d in rng.sample(range((last - first).days), 3))
            seminars = [_seminar(rng, market, spec, association, _weekday(day), zone, slugs, i)
                        for i, day in enumerate(days)]
            members = [c for c in companies[region_name] if market in c.markets and c.contacts]
            for company in members:
                if rng.random() >= ATTENDS[company.stage]:
                    continue
                # The furthest along came to the first seminar; the others to any.
                seminar = seminars[0] if company.stage in FURTHEST and rng.random() < 0.7 else rng.choice(seminars)
                _attend(rng, seminar, company)
                if company.stage in FURTHEST and company.owner is not None:
                    _first_visit(rng, seminar, company, today, zone, booked)


def _weekday(day: date) -> date:
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def _seminar(rng, market: Market, spec: dict, association: Association, day: date, zone: ZoneInfo,
             slugs: set[str], i: int) -> Seminar:
    while (slug := secrets.token_hex(4)) in slugs:
        pass
    slugs.add(slug)
    tag = spec["tags"][i % len(spec["tags"])]
    starts = datetime.combine(day, time(14), tzinfo=zone)
    seminar = Seminar(region=market.region, market=market, association=association,
                      title=TITLES[i % len(TITLES)].format(tag=tag, market=market.name),
                      abstract=f"面向{market.name}行业会员企业：{tag}的做法与案例，会后可预约上门技术咨询。",
                      venue=f"{association.name}会议室", address=association.address, starts_at=starts,
                      ends_at=starts + timedelta(hours=3), capacity=80, status=SeminarStatus.HELD, slug=slug,
                      signup_opens_at=starts - timedelta(days=30), signup_closes_at=starts - timedelta(days=1))
    db.session.add(seminar)
    return seminar


def _attend(rng, seminar: Seminar, company: Company) -> None:
    contact = rng.choice(company.contacts)
    seminar.registrations.append(Registration(
        name=contact.name, company_name=company.name, title=contact.title, phone=contact.phone, email=None,
        status=RegistrationStatus.ATTENDED, cancel_token=secrets.token_urlsafe(24), consent=True,
        checked_in_at=seminar.starts_at - timedelta(minutes=rng.randint(0, 25)), company=company, contact=contact,
        created_at=seminar.starts_at - timedelta(days=rng.randint(2, 20))))


def _first_visit(rng, seminar: Seminar, company: Company, today: date, zone: ZoneInfo,
                 booked: set[tuple[int, date]]) -> None:
    after = seminar.starts_at.astimezone(zone).date() + timedelta(days=7)
    before = today - timedelta(days=OLDEST_OTHER_VISIT)
    if (before - after).days < 7:
        return
    day = _weekday(after + timedelta(days=rng.randint(0, min(90, (before - after).days - 3))))
    if (company.owner.id, day) in booked:
        return
    booked.add((company.owner.id, day))
    starts = datetime.combine(day, time(9, 30), tzinfo=zone)
    db.session.add(Visit(
        region=company.region, company=company, starts_at=starts, ends_at=starts + timedelta(hours=2),
        place=f"{company.district}{company.address}", purpose=Purpose.INTRODUCTION, level=1, status=VisitStatus.DONE,
        agenda="讲座后首次上门：了解生产现状和设备构成。",
        outcome="客户在讲座上提过的问题现场看过，约定带技术人员再来。",
        next_steps="一周内发送方案和报价", created_by_id=company.owner.id,
        members=[VisitMember(user=company.owner, is_lead=True)],
        contacts_met=company.contacts[:1]))
