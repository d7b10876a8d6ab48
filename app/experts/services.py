"""Experts: who they are, what they know per market, when they cannot come."""
import re
import secrets

from flask import abort
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.core.access import allowed_region_ids, check_region
from app.core.like import contains
from app.experts.models import Expert, ExpertTag, Organisation, Unavailability
from app.extensions import db
from app.markets.models import Market


def _visible():
    """Experts a user may see: their regions' and the head office's."""
    regions = allowed_region_ids()
    return True if regions is None else or_(Expert.region_id.is_(None), Expert.region_id.in_(regions))


def search_experts(*, q: str = "", market_id=None, organisation=None):
    stmt = (select(Expert).where(_visible())
            .options(joinedload(Expert.region), selectinload(Expert.tags).joinedload(ExpertTag.market),
                     selectinload(Expert.unavailable))
            .order_by(Expert.name_sort, Expert.id).execution_options(all_regions=True))
    if q := q.strip():
        stmt = stmt.where(or_(contains(Expert.name, q), contains(Expert.title, q),
                              exists().where(ExpertTag.expert_id == Expert.id, contains(ExpertTag.tag, q))))
    if market_id:
        stmt = stmt.where(exists().where(ExpertTag.expert_id == Expert.id, ExpertTag.market_id == market_id))
    if organisation:
        stmt = stmt.where(Expert.organisation == organisation)
    return stmt


def get_expert_or_404(expert_id: int) -> Expert:
    expert = db.session.scalar(
        select(Expert).where(Expert.id == expert_id, _visible())
        .options(joinedload(Expert.user), joinedload(Expert.region), selectinload(Expert.unavailable),
                 selectinload(Expert.tags).joinedload(ExpertTag.market))
        .execution_options(all_regions=True))
    if expert is None:
        abort(404)
    return expert


def parse_expertise(text: str, markets: list[Market]) -> list[tuple[int | None, str]]:
    """"眼镜: 激光焊接" lines → (market id, topic); a line without a known market is general."""
    by_name = {m.name: m.id for m in markets}
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = re.match(r"^(.+?)\s*[:：]\s*(.+)$", line)
        if match and match.group(1) in by_name:
            out.append((by_name[match.group(1)], match.group(2)[:80]))
        else:
            out.append((None, line[:80]))
    return list(dict.fromkeys(out))


def expertise_text(expert: Expert) -> str:
    return "\n".join(f"{t.market.name}: {t.tag}" if t.market else t.tag for t in expert.tags)


def save_expert(data: dict, markets: list[Market], expert: Expert | None = None) -> Expert:
    if data.get("region_id") is None:
        if allowed_region_ids() is not None:
            abort(403)  # only admins keep the head office's experts
    else:
        check_region(data["region_id"])
    if expert is None:
        expert = Expert()
        db.session.add(expert)
    for key in ("name", "title", "email", "phone", "notes"):
        setattr(expert, key, (data.get(key) or "").strip())
    expert.user_id = data.get("user_id")
    expert.region_id = data.get("region_id")
    expert.organisation = Organisation(data["organisation"])
    expert.day_rate_cents = data.get("day_rate")
    expert.max_visits_per_week = data["max_visits_per_week"]
    wanted = parse_expertise(data.get("expertise", ""), markets)
    have = {(t.market_id, t.tag): t for t in expert.tags}
    expert.tags = [have.get(key) or ExpertTag(market_id=key[0], tag=key[1]) for key in wanted]
    db.session.flush()
    return expert


def check_expert_write(expert: Expert) -> None:
    if expert.region_id is None:
        if allowed_region_ids() is not None:
            abort(403)
    else:
        check_region(expert.region_id)


def add_unavailable(expert: Expert, data: dict) -> Unavailability:
    period = Unavailability(expert_id=expert.id, starts_on=data["starts_on"], ends_on=data["ends_on"],
                            reason=(data.get("reason") or "").strip())
    db.session.add(period)
    db.session.flush()
    return period


def new_feed_token(expert: Expert, revoke: bool = False) -> None:
    check_expert_write(expert)
    expert.ics_token = None if revoke else secrets.token_urlsafe(32)
