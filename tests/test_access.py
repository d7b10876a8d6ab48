"""Access rules, walked over the whole URL map.

Every staff URL refuses anonymous users (a page redirects to the sign-in, an htmx request
gets 401 with HX-Redirect, a write never succeeds), and every URL that names a record
answers 404 to a user of another region. The region scope itself (app/access.py) is tested
model by model further down.

The walker is generic: URL parameters are filled from ID_FACTORIES, which maps each
parameter name to a record of a small world built in region "Wuxi". A route with a
parameter that is not in the registry fails and says what to add.
"""
import secrets
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from werkzeug.routing import AnyConverter

from app import create_app
from app.accounts.models import Company, Contact, ContactRole, Opportunity, Order, Tier
from app.associations.models import Association, Membership
from app.audit import AuditEntry
from app.auth.models import Region, User
from app.config import TestConfig
from app.experts.models import Expert, ExpertTag, Organisation, Unavailability
from app.extensions import db
from app.keyaccounts.models import CadenceRule
from app.markets.models import Market
from app.seminars.models import Registration, RegistrationStatus, Seminar, Speaker
from app.visits.models import Visit, VisitMember

OTHER_REGION = "Wuxi"

# Endpoints anyone may open, and why.
PUBLIC_ENDPOINTS = {
    "static": "static files",
    "auth.login": "the sign-in page",
    "auth.set_language": "the language switch works before signing in",
    "auth.healthz": "load balancer check",
    "auth.forgot_password": "asks for a reset link before signing in",
    "auth.reset_password": "a new password behind a signed, one-hour, single-use link",
    "auth.accept_invitation": "the invited person's first password, behind a signed single-use link",
    "visits.feed": "a calendar feed behind a secret, revocable token, for calendar apps that cannot log in",
}
PUBLIC_BLUEPRINTS = {"public": "seminar sign-up pages for attendees",
                     "api": "the read API: a bearer token, never a session (tests/api: 401s and the region scope)"}


def build_world(region_name: str = OTHER_REGION) -> dict:
    """One record of every kind, all in one region, related the way the app relates them."""
    from app.auth.services import create_user, get_or_create_region

    region = get_or_create_region(region_name)
    tag = secrets.token_hex(3)
    user = create_user(email=f"world-{tag}@example.com", name="无锡业务员", role="rep", password="x" * 12,
                       regions=[region])
    market = Market(region=region, name=f"电器{tag}")
    association = Association(region=region, name=f"无锡电器行业协会{tag}", markets=[market])
    membership = Membership(association=association, joined_on=date(2026, 1, 1), expires_on=date(2026, 12, 31))
    company = Company(region=region, name=f"无锡远东电器{tag}有限公司", name_key=f"远东电器{tag}",
                      markets=[market], associations=[association])
    contact = Contact(company=company, name="赵敏", roles=[ContactRole.KEY_PERSON])
    opportunity = Opportunity(company=company, title="注塑机更新", value_cents=300_000_000)
    order = Order(company=company, opportunity=opportunity, amount_cents=1_000_000, ordered_on=date(2026, 3, 1))
    expert = Expert(region=region, name="钱工", organisation=Organisation.RND, ics_token=secrets.token_hex(16))
    expert_tag = ExpertTag(market=market, tag="注塑")
    unavailable = Unavailability(starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 10))
    expert.tags, expert.unavailable = [expert_tag], [unavailable]
    start = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    seminar = Seminar(region=region, market=market, association=association, title="电器行业节能讲座",
                      starts_at=start, ends_at=start + timedelta(hours=2), slug=secrets.token_hex(6))
    speaker = Speaker(expert=expert, talk_title="节能改造")
    seminar.speakers = [speaker]
    registration = Registration(seminar=seminar, name="孙丽", email=f"sun-{tag}@example.com",
                                status=RegistrationStatus.CONFIRMED, cancel_token=secrets.token_hex(16),
                                company=company, contact=contact)
    visit = Visit(region=region, company=company, opportunity=opportunity, starts_at=start,
                  ends_at=start + timedelta(hours=1))
    visit_member = VisitMember(user=user)
    visit_expert = VisitMember(expert=expert)
    visit.members = [visit_member, visit_expert]
    rule = CadenceRule(region=region, tier=Tier.A, max_gap_days=30)
    db.session.add_all([market, association, membership, company, contact, opportunity, order, expert,
                        seminar, registration, visit, rule])
    db.session.commit()
    extra = _domain_records(region, company, opportunity, association, user)
    from tests.equipment.world import equipment_records
    extra |= equipment_records(region, company, user)
    from tests.keyaccounts.proposal_world import proposal_records
    extra |= proposal_records(region, company, user)
    from tests.keyaccounts.plan_world import plan_records
    extra |= plan_records(region, company, user)
    from tests.service.world import service_records
    extra |= service_records(region, company, user)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.region_id == region.id).limit(1))
    return extra | {"region": region, "user": user, "market": market, "association": association,
            "membership": membership, "company": company, "contact": contact, "opportunity": opportunity,
            "order": order, "expert": expert, "expert_tag": expert_tag, "unavailability": unavailable,
            "seminar": seminar, "speaker": speaker, "registration": registration, "visit": visit,
            "visit_member": visit_member, "cadence_rule": rule, "audit_entry": entry}


def _domain_records(region, company, opportunity, association, user) -> dict:
    """Records of models that domains added after the foundation."""
    from app.imports.models import ImportBatch, ImportItem, ItemAction
    from app.seminars.models import Question
    from app.visits.models import ConflictOverride, Escalation
    batch = ImportBatch(region=region, association=association, user=user, source_name="会员名录.xlsx",
                        stored_name=secrets.token_hex(8))
    escalation = Escalation(region_id=region.id, company=company, opportunity=opportunity, proposed_level=3)
    seminar = db.session.scalar(select(Seminar).where(Seminar.region_id == region.id))
    question = Question(seminar=seminar, label="贵公司现有几台注塑机？")
    db.session.add_all([batch, escalation, question])
    db.session.flush()
    item = ImportItem(batch_id=batch.id, row_number=2, action=ItemAction.CREATED, company_id=company.id)
    visit = db.session.scalar(select(Visit).where(Visit.region_id == region.id))
    override = ConflictOverride(visit_id=visit.id, user_id=user.id, conflicts=[])
    db.session.add_all([item, override])
    db.session.commit()
    return {"import_batch": batch, "import_item": item, "escalation": escalation, "question": question,
            "conflict_override": override}


# URL parameter -> the value it takes from the world. Add new parameter names here.
ID_FACTORIES = {
    "region_id": lambda w: w["region"].id,
    "user_id": lambda w: w["user"].id,
    "market_id": lambda w: w["market"].id,
    "association_id": lambda w: w["association"].id,
    "membership_id": lambda w: w["membership"].id,
    "term_id": lambda w: w["membership"].id,
    "company_id": lambda w: w["company"].id,
    "account_id": lambda w: w["company"].id,
    "contact_id": lambda w: w["contact"].id,
    "opportunity_id": lambda w: w["opportunity"].id,
    "order_id": lambda w: w["order"].id,
    "expert_id": lambda w: w["expert"].id,
    "tag_id": lambda w: w["expert_tag"].id,
    "unavailability_id": lambda w: w["unavailability"].id,
    "period_id": lambda w: w["unavailability"].id,
    "seminar_id": lambda w: w["seminar"].id,
    "speaker_id": lambda w: w["speaker"].id,
    "registration_id": lambda w: w["registration"].id,
    "visit_id": lambda w: w["visit"].id,
    "member_id": lambda w: w["visit_member"].id,
    "rule_id": lambda w: w["cadence_rule"].id,
    "entry_id": lambda w: w["audit_entry"].id if w["audit_entry"] else 1,
    "slug": lambda w: w["seminar"].slug,
    "batch_id": lambda w: w["import_batch"].id,
    "escalation_id": lambda w: w["escalation"].id,
    "question_id": lambda w: w["question"].id,
    "item_id": lambda w: w["import_item"].id,
    "override_id": lambda w: w["conflict_override"].id,
    "equipment_id": lambda w: w["machine"].id,
    "stock_id": lambda w: w["part_stock"].id,
    "import_id": lambda w: w["equipment_import"].id,
    "proposal_id": lambda w: w["key_account_proposal"].id,
    "plan_id": lambda w: w["account_plan"].id,
    "objective_id": lambda w: w["plan_objective"].id,
    "spend_id": lambda w: w["care_spend"].id,
    "centre_id": lambda w: w["buying_centre"].id,
    "product_line_id": lambda w: w["product_line"].id,
    "case_id": lambda w: w["service_case"].id,
}

# Parameters that are not records, and the value the walk gives them. An `any(...)` parameter
# (a file format, an action) takes its first choice without being listed.
PLAIN_PARAMETERS = {
    "day": "2026-06-01", "date": "2026-06-01", "week": "2026-W23", "year": 2026, "month": 6,
    "filename": "x.csv",
    # Outbox messages belong to no region; the outbox is the admins' (see tests/outbox).
    "message_id": 1,
    # Machine models and spare parts are one catalogue for every region (stock is per region).
    "part_id": 1, "model_id": 1,
    # API tokens are a person's own, not a region's (tests/api/test_tokens.py: another's is a 404).
    "token_id": 1,
    # The API's answer to a path it lacks (a JSON 404 or 405).
    "rest": "nothing-here",
}


def _app_rules():
    app = create_app(TestConfig)
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
            continue
        choices = {name: sorted(conv.items)[0] for name, conv in rule._converters.items()
                   if isinstance(conv, AnyConverter)}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append(pytest.param(rule.rule, rule.endpoint, method,
                                      sorted(a for a in rule.arguments if a not in choices), choices,
                                      id=f"{method} {rule.endpoint}"))
    return rules


STAFF_RULES = _app_rules()


def _url(app, endpoint: str, arguments: list[str], choices: dict, world: dict | None) -> str:
    from flask import url_for
    values = dict(choices)
    for name in arguments:
        if name in PLAIN_PARAMETERS:
            values[name] = PLAIN_PARAMETERS[name]
        else:
            values[name] = ID_FACTORIES[name](world) if world else 1
    with app.test_request_context():
        return url_for(endpoint, **values)


@pytest.mark.parametrize("rule, endpoint, method, arguments, choices", STAFF_RULES)
def test_every_parameter_has_a_factory(rule, endpoint, method, arguments, choices):
    unknown = [a for a in arguments if a not in ID_FACTORIES and a not in PLAIN_PARAMETERS]
    assert not unknown, (
        f"{endpoint} ({rule}) takes {unknown}: add a factory for it to ID_FACTORIES in tests/test_access.py "
        f"(or PLAIN_PARAMETERS if it is not a record) so the access walk can check this route.")


@pytest.mark.parametrize("rule, endpoint, method, arguments, choices", STAFF_RULES)
def test_anonymous_users_are_refused(client, app, rule, endpoint, method, arguments, choices):
    if any(a not in ID_FACTORIES and a not in PLAIN_PARAMETERS for a in arguments):
        pytest.fail(f"{endpoint}: unknown URL parameter, see test_every_parameter_has_a_factory")
    url = _url(app, endpoint, arguments, choices, None)
    response = client.open(url, method=method)
    assert response.status_code in (302, 303), (url, response.status_code)
    assert "/login" in response.headers["Location"]
    response = client.htmx(method, url)
    assert response.status_code == 401, (url, response.status_code)
    assert "/login" in response.headers["HX-Redirect"]
    if method != "GET":
        # Even without a CSRF token a write is refused, never done.
        response = client.open(url, method=method, csrf=False)
        assert response.status_code in (302, 303, 400, 401), (url, response.status_code)


ID_RULES = [p for p in STAFF_RULES if any(a in ID_FACTORIES for a in p.values[3])]


@pytest.mark.parametrize("rule, endpoint, method, arguments, choices", ID_RULES)
def test_records_of_another_region_answer_404(client, app, login_as, rule, endpoint, method, arguments,
                                              choices):
    if any(a not in ID_FACTORIES and a not in PLAIN_PARAMETERS for a in arguments):
        pytest.fail(f"{endpoint}: unknown URL parameter, see test_every_parameter_has_a_factory")
    world = build_world(OTHER_REGION)
    login_as("manager", "Wenzhou")
    url = _url(app, endpoint, arguments, choices, world)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.open(url, method=method, data={})
    if endpoint.startswith("admin."):
        assert response.status_code in (403, 404), (url, response.status_code)
    else:
        assert response.status_code == 404, (url, response.status_code, response.get_data(as_text=True)[:300])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before, "a refused request wrote"
    response = client.htmx(method, url, data={})
    assert response.status_code in ((403, 404) if endpoint.startswith("admin.") else (404,))
    assert "<html" not in response.get_data(as_text=True)


def test_the_walk_covers_the_staff_routes():
    endpoints = {p.values[1] for p in STAFF_RULES}
    assert {"accounts.index", "accounts.detail", "admin.audit", "auth.logout"} <= endpoints
    assert not any(e.startswith("public.") for e in endpoints)


# The region scope, model by model.

SCOPED = [
    ("company", Company), ("contact", Contact), ("market", Market), ("association", Association),
    ("membership", Membership), ("seminar", Seminar), ("registration", Registration), ("visit", Visit),
    ("expert", Expert), ("opportunity", Opportunity), ("order", Order), ("cadence_rule", CadenceRule),
    ("import_batch", None), ("escalation", None), ("machine", None), ("part_stock", None), ("stock_move", None),
    ("equipment_import", None), ("key_account_proposal", None), ("service_case", None),
]


@contextmanager
def signed_in_request(client):
    """A request of the client's user with its region scope loaded, as a page has it."""
    from flask_login import login_user

    from app.core.access import load_scope
    with client.application.test_request_context():
        login_user(db.session.get(User, client.user_id))
        load_scope()
        yield


def _visible(client, model):
    """Ids of `model` the signed-in user sees, queried inside a request as a page would."""
    with signed_in_request(client):
        ids = set(db.session.scalars(select(model.id)))
        count = db.session.scalar(select(func.count(model.id)))
        rows = {row.id for row in db.session.scalars(select(model))}
        db.session.rollback()
    assert ids == rows and count == len(rows)
    return rows


@pytest.fixture
def two_worlds(app, make_user):
    wenzhou, wuxi = build_world("Wenzhou"), build_world(OTHER_REGION)
    return wenzhou, wuxi


@pytest.mark.parametrize("key, model", SCOPED, ids=[k for k, _m in SCOPED])
def test_scope_hides_other_regions_rows(client, make_user, two_worlds, key, model):
    wenzhou, wuxi = two_worlds
    model = model or type(wenzhou[key])
    client.user_id = make_user("rep", "Wenzhou").id
    visible = _visible(client, model)
    assert wenzhou[key].id in visible and wuxi[key].id not in visible


@pytest.mark.parametrize("key, model", SCOPED, ids=[k for k, _m in SCOPED])
def test_the_same_statement_in_two_regions_keeps_each_to_its_own(client, make_user, two_worlds, key, model):
    """The region criteria's part of the statement cache key is computed once per set of regions
    and replayed (app/core/access.py): the same statement, compiled once and run for a rep of each
    region in turn, must still bind each rep's own regions."""
    wenzhou, wuxi = two_worlds
    model = model or type(wenzhou[key])
    reps = {"Wenzhou": make_user("rep", "Wenzhou").id, OTHER_REGION: make_user("rep", OTHER_REGION).id}
    for _round in range(2):
        for region, world, other in (("Wenzhou", wenzhou, wuxi), (OTHER_REGION, wuxi, wenzhou)):
            client.user_id = reps[region]
            visible = _visible(client, model)
            assert world[key].id in visible and other[key].id not in visible


@pytest.mark.parametrize("key, model", SCOPED, ids=[k for k, _m in SCOPED])
def test_admins_see_every_region(client, make_user, two_worlds, key, model):
    wenzhou, wuxi = two_worlds
    model = model or type(wenzhou[key])
    client.user_id = make_user("admin", None).id
    assert {wenzhou[key].id, wuxi[key].id} <= _visible(client, model)


def test_user_of_two_regions_sees_both(client, make_user, make_region, two_worlds):
    from app.auth.models import user_regions
    wenzhou, wuxi = two_worlds
    user = make_user("manager", "Wenzhou")
    db.session.execute(user_regions.insert().values(user_id=user.id, region_id=wuxi["region"].id))
    db.session.commit()
    client.user_id = user.id
    assert {wenzhou["company"].id, wuxi["company"].id} <= _visible(client, Company)


def test_head_office_experts_serve_every_region(client, make_user, two_worlds):
    expert = Expert(name="总部专家", organisation=Organisation.RND)
    db.session.add(expert)
    db.session.commit()
    client.user_id = make_user("rep", "Wenzhou").id
    visible = _visible(client, Expert)
    assert expert.id in visible and two_worlds[1]["expert"].id not in visible


def test_user_without_region_sees_nothing(client, make_user, two_worlds):
    client.user_id = make_user("rep", None).id
    assert _visible(client, Company) == set() and _visible(client, Registration) == set()


def test_scope_applies_to_relationship_loads_and_joins(client, make_user, two_worlds):
    wenzhou, wuxi = two_worlds
    client.user_id = make_user("rep", "Wenzhou").id
    with signed_in_request(client):
        registration_id, wuxi_company_id = wenzhou["registration"].id, wuxi["company"].id
        db.session.expunge_all()
        # A registration of a Wenzhou seminar that was matched to a Wuxi company by mistake.
        db.session.execute(update(Registration).where(Registration.id == registration_id)
                           .values(company_id=wuxi_company_id).execution_options(all_regions=True))
        registration = db.session.get(Registration, registration_id)
        assert registration.company_id == wuxi_company_id and registration.company is None
        joined = db.session.scalars(select(Contact).join(Contact.company)).all()
        assert {c.company.region.name for c in joined} == {"Wenzhou"}
        db.session.rollback()


def test_a_relationship_load_states_the_region_condition_once(client, make_user, two_worlds):
    # A relationship's load carries the criteria of the query that loaded its parent; the hook does
    # not add them again (they were repeated once more at each level). A lazy load of a parent read
    # outside the scope (all_regions) carries none, and the hook adds them as before.
    from sqlalchemy import event
    from sqlalchemy.orm import selectinload
    wenzhou, _wuxi = two_worlds
    client.user_id = make_user("rep", "Wenzhou").id
    with signed_in_request(client):
        ids = {key: wenzhou[key].id for key in ("company", "contact", "opportunity")}
        statements = []

        def record(_conn, _cursor, sql, *_args):
            statements.append(sql)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for scoped in (True, False):
                db.session.expunge_all()
                statements.clear()
                company = db.session.scalars(
                    select(Company).where(Company.id == ids["company"]).options(selectinload(Company.markets))
                    .execution_options(all_regions=not scoped)).one()
                contacts = company.contacts
                opportunities = contacts[0].company.opportunities  # a second level, through the identity map
                markets_sql = next(s for s in statements if "FROM company_markets" in s)
                contacts_sql = next(s for s in statements if "FROM contacts" in s)
                opportunities_sql = next(s for s in statements if "FROM opportunities" in s)
                # (Loaded with all_regions, its eager loads run with that option too, unscoped.)
                assert markets_sql.count("markets.region_id IN") == (1 if scoped else 0), markets_sql
                assert contacts_sql.count("EXISTS") == 1 and opportunities_sql.count("EXISTS") == 1
                assert [c.id for c in contacts] == [ids["contact"]]
                assert [o.id for o in opportunities] == [ids["opportunity"]]
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.rollback()


def test_scope_limits_bulk_updates_and_deletes(client, make_user, two_worlds):
    wenzhou, wuxi = two_worlds
    client.user_id = make_user("rep", "Wenzhou").id
    with signed_in_request(client):
        db.session.execute(update(Company).values(city="温州"))
        db.session.execute(update(Contact).values(title="改"))
        db.session.commit()
    db.session.expire_all()
    assert wuxi["company"].city == "" and wuxi["contact"].title == ""
    assert wenzhou["company"].city == "温州" and wenzhou["contact"].title == "改"


def test_get_or_404_and_check_region(client, make_user, two_worlds):
    from werkzeug.exceptions import Forbidden, NotFound

    from app.core.access import allowed_region_ids, check_region, load
    wenzhou, wuxi = two_worlds
    user = make_user("rep", "Wenzhou")
    with client.application.test_request_context():
        from flask_login import login_user

        from app.core.access import load_scope
        login_user(db.session.get(User, user.id))
        load_scope()
        assert load(Company, wenzhou["company"].id).id == wenzhou["company"].id
        with pytest.raises(NotFound):
            load(Company, wuxi["company"].id)
        with pytest.raises(NotFound):
            load(Contact, wuxi["contact"].id)
        assert allowed_region_ids() == [wenzhou["region"].id]
        check_region(wenzhou["region"].id)
        with pytest.raises(Forbidden):
            check_region(wuxi["region"].id)


def test_anonymous_and_cli_work_is_not_scoped(app, two_worlds):
    assert db.session.scalar(select(func.count(Company.id))) == 2
    with app.test_request_context():
        from app.core.access import load_scope
        load_scope()
        assert db.session.scalar(select(func.count(Company.id))) == 2


def test_region_table_is_readable(app, two_worlds):
    assert db.session.scalar(select(func.count(Region.id))) == 2


def test_public_pages_are_not_scoped_for_signed_in_staff(client, login_as):
    """A rep who opens another region's public sign-up link sees it like any attendee."""
    world = build_world(OTHER_REGION)
    from app.seminars.models import SeminarStatus
    world["seminar"].status = SeminarStatus.OPEN
    db.session.commit()
    slug = world["seminar"].slug
    assert client.get(f"/s/{slug}").status_code == 200
    login_as("rep", "Wenzhou")
    assert client.get(f"/s/{slug}").status_code == 200
