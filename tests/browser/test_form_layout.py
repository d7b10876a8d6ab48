"""Every form in Grove lays out one way: each label sits above its own control, and a field's
error sits below its control inside the same field element, in grids and out of them, at
desktop width (1280) and on a phone (390), with empty forms and after a submit with errors."""
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.accounts.models import Opportunity, OpportunityStage
from app.associations.models import MembershipStatus
from app.core.types import utcnow
from app.extensions import db
from app.seminars.models import Question, QuestionKind, RegistrationStatus
from app.visits.models import Escalation
from tests.seminars.conftest import make_registration, make_seminar

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# Measures every visible label that names a control (`for`) in the page's main area, and every
# error a control points at (aria-describedby); answers one line per thing out of place.
MEASURE = """() => {
  const problems = [];
  const visible = el => {
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && el.checkVisibility() && !el.closest('[aria-hidden=true]');
  };
  const overlap = (a, b) => a.left < b.right && b.left < a.right;
  const name = el => el.id || el.getAttribute('name') || el.tagName.toLowerCase();
  for (const label of document.querySelectorAll('main label[for]')) {
    if (!visible(label)) continue;
    const control = document.getElementById(label.htmlFor);
    const text = label.textContent.trim().slice(0, 40);
    if (!control) { problems.push(`label "${text}" names no control #${label.htmlFor}`); continue; }
    if (!label.closest('.field') || label.closest('.field') !== control.closest('.field')) {
      problems.push(`label "${text}" and #${name(control)} are not in one field element`);
    }
    if (label.contains(control)) continue;  // a checkbox inside its label
    const l = label.getBoundingClientRect(), c = control.getBoundingClientRect();
    const where = `label "${text}" ${JSON.stringify([l.left, l.top, l.right, l.bottom])} and #${name(control)} `
      + JSON.stringify([c.left, c.top, c.right, c.bottom]);
    if (!(l.bottom <= c.top + 2)) problems.push(`${where}: the label is not above its control`);
    if (!overlap(l, c)) problems.push(`${where}: the label is not over its control`);
  }
  for (const control of document.querySelectorAll('main [aria-describedby]')) {
    for (const id of control.getAttribute('aria-describedby').split(/\\s+/)) {
      const error = document.getElementById(id);
      if (!error || !error.classList.contains('field-error') || !visible(error)) continue;
      const box = control.closest('.field');
      if (!box || error.closest('.field') !== box) {
        problems.push(`error #${id} is not in the field element of #${name(control)}`);
        continue;
      }
      const c = control.getBoundingClientRect(), e = error.getBoundingClientRect();
      if (!(e.top >= c.bottom - 2)) {
        problems.push(`error #${id} is not below #${name(control)}: ${e.top} < ${c.bottom}`);
      }
      if (!overlap(c, e)) problems.push(`error #${id} is not under #${name(control)}`);
    }
  }
  const labels = [...document.querySelectorAll('main label[for]')].filter(visible).length;
  return {problems, labels};
}"""


@dataclass
class Form:
    """A page with a form; `submit` clicks the button that sends it empty or wrong."""
    name: str
    url: str
    submit: str | None = None
    anonymous: bool = False
    fill: dict = field(default_factory=dict)


def _world(request):
    """The demo-like world the other journeys use, and every page of it that has a form."""
    make = request.getfixturevalue
    make_user, make_company, make_contact = make("make_user"), make("make_company"), make("make_contact")
    make_market, make_association, make_term = make("make_market"), make("make_association"), make("make_term")
    make_expert, make_visit = make("make_expert"), make("make_visit")
    plan_seminar, register = make("make_seminar"), make("make_registration")
    manager = make_user("manager", "Wenzhou", name="陈大区", email="manager@example.com")
    rep = make_user("rep", "Wenzhou", name="王业务")
    market = make_market("眼镜", owner_id=rep.id, goal=6)
    company = make_company("温州华信眼镜有限公司", city="温州", address="瓯海经济开发区东方南路38号", owner_id=rep.id,
                           products="光学眼镜架")
    company.markets.append(market)
    contact = make_contact(company, "李志强", title="设备主管", phone="138 0000 1111")
    association = make_association("温州市眼镜商会", markets=[market], members=[company], contact_name="周秘书")
    term = make_term(association, status=MembershipStatus.ACTIVE, fee_cents=500000, level="理事单位")
    expert = make_expert("周建华", title="激光焊接工艺")
    start = utcnow().replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
    visit = make_visit(company, start, start + timedelta(hours=2), users=[rep], experts=[expert], level=2,
                       purpose="technical_consulting", place="瓯海经济开发区东方南路38号")
    # A report is written once a visit has begun.
    visited = make_visit(company, start - timedelta(days=5), start - timedelta(days=5, hours=-2), users=[rep],
                         place="瓯海经济开发区东方南路38号")
    opportunity = Opportunity(company=company, title="激光焊接生产线", value_cents=320000000,
                              stage=OpportunityStage.PROPOSAL, owner_id=rep.id)
    db.session.add(opportunity)
    db.session.flush()
    escalation = Escalation(region_id=company.region_id, company_id=company.id, opportunity_id=opportunity.id,
                            from_level=2, proposed_level=3, reason="采购机会进入方案阶段", user_ids=[rep.id],
                            expert_ids=[expert.id])
    db.session.add(escalation)
    seminar = plan_seminar("眼镜行业激光焊接与节能改造技术讲座", capacity=30)
    seminar.questions.append(Question(label="是否需要安排午餐？", kind=QuestionKind.YES_NO, required=True))
    seminar.questions.append(Question(label="您想了解的问题", kind=QuestionKind.TEXT))
    db.session.commit()
    registration = register(seminar, name="张建国", company_name="瑞安新光眼镜厂",
                                     status=RegistrationStatus.ATTENDED)
    s, c, a = seminar.id, company.id, association.id
    forms = [
        Form("sign-in", "/login", "main form button[type=submit]", anonymous=True),
        Form("sign-up", f"/s/{seminar.slug}", "#signup button[type=submit]", anonymous=True),
        Form("companies", "/companies/"),
        Form("company-new", "/companies/new", "#company-form button[type=submit]"),
        Form("company-edit", f"/companies/{c}/edit"),
        Form("company", f"/companies/{c}", "#contact-form button[type=submit]"),
        Form("contact-edit", f"/companies/{c}/contacts/{contact.id}/edit"),
        Form("contact-new", f"/companies/{c}/contacts/new", "#contact-form button[type=submit]"),
        Form("markets", "/markets/"),
        Form("market-new", "/markets/new", "#market-form button[type=submit]"),
        Form("market-edit", f"/markets/{market.id}/edit"),
        Form("screening", f"/markets/{market.id}/screening", "#weights-form button[type=submit]",
             fill={"#weights-form #size": "99"}),
        Form("associations", "/associations/"),
        Form("association-new", "/associations/new", "#association-form button[type=submit]"),
        Form("association-edit", f"/associations/{a}/edit"),
        Form("association", f"/associations/{a}", "#renew-form button[type=submit]",
             fill={"#renew-form #renew-fee": "abc"}),
        Form("term-edit", f"/associations/{a}/memberships/{term.id}/edit"),
        Form("import", f"/associations/{a}/import", "#upload-form button[type=submit]"),
        Form("seminars", "/seminars/"),
        Form("seminar-new", "/seminars/new", "#seminar-form button[type=submit]"),
        Form("seminar-edit", f"/seminars/{s}/edit"),
        Form("seminar", f"/seminars/{s}"),
        Form("registration-edit", f"/seminars/{s}/registrations/{registration.id}/edit"),
        Form("check-in", f"/seminars/{s}/checkin", ".walk-in form button[type=submit]"),
        Form("leads", f"/seminars/{s}/leads"),
        Form("visits", "/visits/"),
        Form("visit-new", "/visits/new", "#visit-form button[type=submit]", fill={"#visit-form #starts_at": ""}),
        Form("visit-edit", f"/visits/{visit.id}/edit"),
        Form("visit-report", f"/visits/{visited.id}/report", "main form button[type=submit]"),
        Form("week", "/visits/week"),
        Form("scheduling-rules", "/visits/settings"),
        Form("opportunity-new", f"/visits/opportunities/new?company={c}", "main form button[type=submit]"),
        Form("opportunity-edit", f"/visits/opportunities/{opportunity.id}/edit"),
        Form("escalation", f"/visits/escalations/{escalation.id}"),
        Form("experts", "/experts/"),
        Form("expert-new", "/experts/new", "main form button[type=submit]"),
        Form("expert-edit", f"/experts/{expert.id}/edit"),
        Form("expert", f"/experts/{expert.id}", "#unavailable form[hx-post$=unavailable] button[type=submit]"),
    ]
    return manager, forms


def _measure(page, where: str) -> tuple[list[str], int]:
    """Opens every <details> of the page (forms hide in them; a folded form loads when opened) and
    measures; answers problems and labels seen."""
    page.evaluate("document.querySelectorAll('main details').forEach(d => d.open = true)")
    page.wait_for_function("() => !document.querySelector("
                           "'main .folded-form, .htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
    result = page.evaluate(MEASURE)
    return [f"{where}: {p}" for p in result["problems"]], result["labels"]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_label_sits_above_its_control(request, new_page, login, width):
    manager, forms = _world(request)
    staff, visitor = new_page(), new_page()
    for page in (staff, visitor):
        page.set_viewport_size(WIDTHS[width])
    login(staff, manager)
    problems, measured = [], 0
    for form in forms:
        page = visitor if form.anonymous else staff
        response = page.goto(form.url)
        assert response.ok, f"{form.name}: {form.url} answered {response.status}"
        page.wait_for_load_state("load")
        found, labels = _measure(page, f"{form.name} ({width})")
        problems, measured = problems + found, measured + labels
        if form.submit:
            for selector, value in form.fill.items():
                page.locator(selector).fill(value)
            page.locator(form.submit).first.click()
            expect(page.locator("main .field-error").first).to_be_visible()
            # Measure the page at rest: the answer loaded (a plain form) or swapped and settled (htmx).
            page.wait_for_load_state("load")
            page.wait_for_function(
                "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
            found, labels = _measure(page, f"{form.name} with errors ({width})")
            problems, measured = problems + found, measured + labels
    assert measured > 300, measured  # the walk reached the forms
    assert not problems, "\n".join(problems)
