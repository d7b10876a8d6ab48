"""The funnel's demo rows: each market whose association we joined narrows step by step, over quarters."""
import sqlalchemy as sa

from app import demo
from app.auth.models import Region
from app.dashboard.funnel import services
from app.dashboard.funnel.demo import seed_funnel_demo
from app.extensions import db
from app.visits.models import Visit, VisitMember


def test_demo_funnel_narrows_step_by_step(app, monkeypatch):
    # The demo's own run, without the funnel's rows whether or not app/demo.py calls them yet; then them.
    monkeypatch.setattr(demo, "seed_funnel_demo", lambda **kw: None, raising=False)
    seeder = demo._Seeder("demo-password-for-tests")
    db.session.info["skip_audit"] = True
    seeder.run()
    seed_funnel_demo(seed=demo.SEED + 12, today=seeder.today, zone=demo.TZ, markets=seeder.markets,
                     associations=seeder.associations, companies=seeder.companies)
    db.session.commit()
    db.session.info.pop("skip_audit", None)

    regions = list(db.session.scalars(sa.select(Region)))
    region = services.funnel_for(regions, mode="strict")
    counts = [s.count for s in region.steps]
    assert all(n > 0 for n in counts), counts
    assert counts == sorted(counts, reverse=True)  # strict counting never grows down the funnel
    assert counts[1] >= counts[0] // 3  # most members the push reached came to a seminar
    alive = [f for f in services.funnels_by_market(regions, mode="strict") if f.step("won").count]
    assert len(alive) >= 3
    trend = services.trend_for(regions, mode="strict")
    attended = next(row for row in trend.rows if row.step.value == "attended")
    assert sum(1 for n in attended.counts if n) >= 4  # attendance spread over quarters
    # Every visit, the first visits added here too, has exactly one lead.
    leads = db.session.scalars(sa.select(sa.func.count(VisitMember.id)).where(VisitMember.is_lead)
                               .group_by(VisitMember.visit_id)).all()
    assert len(leads) == db.session.scalar(sa.select(sa.func.count(Visit.id))) and set(leads) == {1}
