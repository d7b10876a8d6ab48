"""Every main page passes axe-core without a serious or critical violation: desktop 1366 and
phone 390, Chinese and English, each page as the demo data (app/demo.py) fills it.

axe-core is vendored under tests/browser/vendor (its hash is checked here and recorded in
tests/browser/vendor/VENDORED.md). It is put into each page with `page.evaluate`, which Chrome
runs outside the page's Content-Security-Policy, so Grove's CSP stays as strict as it is served.

A failure lists each violation with its rule, impact, page and element; every violation, the
moderate and minor ones too, is written to test-artifacts/accessibility/<locale>-<width>.json.
"""
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import demo
from app.accounts.models import Company
from app.associations.models import Association
from app.auth.models import User
from app.extensions import db
from app.markets.models import Market
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.service.models import ServiceCase
from app.visits.models import Visit, VisitMember, VisitStatus
from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE
from tests.conftest import PASSWORD, _empty_all_tables

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
}"""
HTMX_SETTLED = "() => !document.querySelector('.htmx-request')"


def _first(statement):
    found = db.session.scalars(statement.limit(1)).first()
    assert found is not None, f"the demo data has no row for {statement}"
    return found


def _clash(visit: Visit) -> Visit:
    """A second visit of the same person at the same time elsewhere: its edit page shows the conflict."""
    member = next(m for m in visit.members if m.user_id)
    other = _first(sa.select(Company).where(Company.region_id == visit.region_id, Company.id != visit.company_id))
    clash = Visit(region_id=visit.region_id, company=other, starts_at=visit.starts_at, ends_at=visit.ends_at,
                  members=[VisitMember(user_id=member.user_id, is_lead=True)])
    db.session.add(clash)
    return clash


@pytest.fixture(scope="module")
def pages(_migrated_app):
    """The demo data, once for this module, and the pages to scan for each role."""
    with _migrated_app.app_context():
        db.session.info["skip_audit"] = True
        demo._Seeder(PASSWORD).run()
        db.session.commit()
        db.session.info.pop("skip_audit")

        manager = _first(sa.select(User).where(User.email == f"manager@{demo.DOMAIN}"))
        upcoming = sa.select(Visit).where(Visit.status == VisitStatus.PLANNED,
                                          Visit.members.any(VisitMember.user_id == manager.id)).order_by(Visit.starts_at)
        cancelled_visit, busy_visit = db.session.scalars(upcoming.limit(2)).all()
        cancelled_visit.status = VisitStatus.CANCELLED  # recorded in the audit log, as any edit
        clash = _clash(busy_visit)
        db.session.commit()
        seminar = _first(sa.select(Seminar).where(Seminar.status == SeminarStatus.OPEN,
                                                  Seminar.registrations.any(
                                                      Registration.status == RegistrationStatus.WAITLISTED))
                         .order_by(Seminar.starts_at))
        company = cancelled_visit.company
        past = _first(sa.select(Visit).where(Visit.status == VisitStatus.DONE).order_by(Visit.starts_at.desc()))
        case = _first(sa.select(ServiceCase).order_by(ServiceCase.id))
        market = _first(sa.select(Market).order_by(Market.id))
        association = _first(sa.select(Association).order_by(Association.id))
        week = (busy_visit.starts_at.date() - timedelta(days=busy_visit.starts_at.weekday())).isoformat()
        urls = {
            "manager": [
                "/", "/companies/", f"/companies/{company.id}", "/key-accounts/",
                "/markets/", f"/markets/{market.id}", "/associations/", f"/associations/{association.id}",
                "/seminars/", f"/seminars/{seminar.id}", f"/seminars/{seminar.id}/registrations",
                f"/seminars/{seminar.id}/checkin",
                "/visits/", f"/visits/week?week={week}", f"/visits/{cancelled_visit.id}", f"/visits/{past.id}",
                f"/visits/{clash.id}/edit", "/experts/", "/service/", f"/service/{case.id}", "/stock/",
                "/notifications/", "/search/?q=眼镜", "/funnel",
            ],
            "rep": ["/"],
            "expert": ["/"],
            "admin": ["/admin/users", "/admin/regions", "/admin/audit"],
            None: [f"/s/{seminar.slug}"],
        }
        db.session.remove()
    yield urls
    with _migrated_app.app_context():
        _empty_all_tables()
        db.session.remove()


def _axe_source() -> str:
    data = AXE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == AXE_SHA256, f"{AXE} is not the recorded axe-core"
    return data.decode("utf-8")


@pytest.mark.parametrize("locale, viewport", [("en-US", DESKTOP), ("en-US", PHONE), ("zh-CN", DESKTOP),
                                              ("zh-CN", PHONE)], ids=["en-desktop", "en-phone", "zh-desktop",
                                                                      "zh-phone"])
def test_main_pages_have_no_serious_or_critical_violation(browser, live_server, login, pages, locale, viewport):
    axe = _axe_source()
    context = browser.new_context(base_url=live_server, locale=locale, viewport=viewport,
                                  extra_http_headers={"Accept-Language": locale})
    context.set_default_timeout(20_000)
    page = context.new_page()
    found = []
    try:
        for role, urls in pages.items():
            context.clear_cookies()
            if role:
                login(page, SimpleNamespace(email=f"{role}@{demo.DOMAIN}"))
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, (role, url, response.status)
                page.wait_for_function(HTMX_SETTLED)
                page.evaluate(axe)
                violations = page.evaluate(RUN_AXE)
                for v in violations:
                    for node in v["nodes"]:
                        found.append({"page": url, "role": role, **{k: v[k] for k in ("rule", "impact", "help")},
                                      **node})
                if any(v["impact"] in BLOCKING for v in violations):
                    shot = ARTIFACTS / "failures" / f"axe-{locale}-{viewport['width']}-{len(found)}.png"
                    shot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    report = ARTIFACTS / "accessibility" / f"{locale}-{viewport['width']}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    blocking = [f for f in found if f["impact"] in BLOCKING]
    assert not blocking, f"{len(blocking)} serious or critical axe violations ({locale}, {viewport['width']}px):\n" + \
        "\n".join(f"  {f['impact']:8} {f['rule']:22} {f['page']} ({f['role'] or 'anonymous'})  {f['target']}\n"
                  f"           {' '.join(f['summary'].split())[:300]}" for f in blocking)
