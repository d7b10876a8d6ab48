"""Fixtures of the API's tests: two regions with a row of every kind the API lists, tokens, and a
client that sends a bearer token and no cookie."""
from datetime import date, timedelta

import pytest
from flask import g
from flask.testing import FlaskClient

from app.accounts.models import ContactRole, Opportunity, OpportunityStage, Order, Stage, Tier
from app.api import tokens
from app.core.types import utcnow
from app.equipment.models import InstalledEquipment, MachineModel, model_key
from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.service import services as service
from app.service.models import Channel, Severity
from app.visits.models import Visit, VisitMember

# Every list the API has, as a client asks for it (the registrations path is filled in per region).
LISTS = ("companies", "contacts", "opportunities", "orders", "seminars", "registrations", "visits",
         "machines", "service-cases")


def _fill_region(region_name: str, owner, n: int, make_company, make_contact, model: MachineModel) -> dict:
    """`n` companies in the region, each with a contact, opportunity, order, visit, machine and case,
    and one seminar with `n` registrations. Names carry the region's name, so a leak shows."""
    companies = []
    for i in range(n):
        company = make_company(f"{region_name}客户{i}有限公司", region=region_name, owner_id=owner.id,
                               stage=Stage.KEY_ACCOUNT if i == 0 else Stage.TARGET, tier=Tier.A if i == 0 else None,
                               city=region_name)
        make_contact(company, name=f"{region_name}联系人{i}", roles=[ContactRole.KEY_PERSON] if i == 0 else [])
        opportunity = Opportunity(company_id=company.id, title=f"{region_name}机会{i}", value_cents=100_000 * (i + 1),
                                  stage=OpportunityStage.PROPOSAL if i == 0 else OpportunityStage.SPOTTED,
                                  owner_id=owner.id)
        db.session.add_all([
            opportunity,
            Order(company_id=company.id, opportunity=opportunity, amount_cents=50_000, ordered_on=date(2026, 11, 1 + i),
                  description=f"{region_name}订单{i}"),
            InstalledEquipment(company_id=company.id, region_id=company.region_id, model=model, serial=f"{region_name}-{i}",
                               site="一车间", warranty_until=date(2027, 1, 1)),
        ])
        visit = Visit(company=company, region_id=company.region_id, starts_at=utcnow() + timedelta(days=i + 1),
                      ends_at=utcnow() + timedelta(days=i + 1, hours=2), place=f"{region_name}厂区", level=1 + i % 4)
        visit.members = [VisitMember(user_id=owner.id, is_lead=True)]
        db.session.add(visit)
        db.session.commit()
        g.pop("service_calendars", None)
        g.pop("service_days", None)
        service.open_case(company, severity=Severity.NORMAL, channel=Channel.PHONE, description=f"{region_name}报修{i}")
        db.session.commit()
        companies.append(company)
    starts = utcnow().replace(microsecond=0) + timedelta(days=10)
    seminar = Seminar(title=f"{region_name}讲座", region=companies[0].region, capacity=50, status=SeminarStatus.OPEN,
                      slug=f"s-{region_name.lower()}", starts_at=starts, ends_at=starts + timedelta(hours=2),
                      venue="报告厅", address="地址", abstract="摘要")
    seminar.registrations = [
        Registration(name=f"{region_name}参会人{i}", company_name=f"{region_name}客户{i}有限公司", phone=f"1380000{i:04d}",
                     email=f"{region_name.lower()}{i}@example.com", cancel_token=f"{region_name}-{i}",
                     status=RegistrationStatus.CONFIRMED)
        for i in range(n)]
    db.session.add(seminar)
    db.session.commit()
    return {"region": companies[0].region, "companies": companies, "seminar": seminar, "owner": owner}


@pytest.fixture
def world(app, make_user, make_company, make_contact):
    """Wenzhou and Wuxi, three companies each with everything the API lists, and a rep of each region."""
    model = MachineModel(name="GX-500", key=model_key("GX-500"))
    db.session.add(model)
    wenzhou_rep = make_user("rep", "Wenzhou", name="温州代表")
    wuxi_rep = make_user("rep", "Wuxi", name="无锡代表")
    return {"Wenzhou": _fill_region("Wenzhou", wenzhou_rep, 3, make_company, make_contact, model),
            "Wuxi": _fill_region("Wuxi", wuxi_rep, 3, make_company, make_contact, model)}


@pytest.fixture
def token_for(app):
    """`token_for(user)`: a new working token's secret."""
    def make(user, name: str = "CRM sync") -> str:
        _token, secret = tokens.create_token(user, name)
        db.session.commit()
        return secret
    return make


@pytest.fixture
def api(app):
    """`api.get(path, token, **query)`: a request as an integration sends it, with no cookie jar."""
    class Api:
        def __init__(self):
            # A plain client: the browser client another fixture may have made the app's default
            # (it reads a CSRF cookie on POST) is not what an integration is.
            self.client = FlaskClient(app, app.response_class, use_cookies=False)

        def open(self, url: str, method: str = "GET", token: str | None = None):
            """A request as sent (the query string written out, any method); an empty `g`, as on a server."""
            for key in list(vars(g)):
                g.pop(key)
            return self.client.open(url, method=method,
                                    headers={"Authorization": f"Bearer {token}"} if token else {})

        def get(self, path: str, token: str | None = None, headers: dict | None = None, **query):
            for key in list(vars(g)):
                g.pop(key)
            headers = dict(headers or {})
            if token:
                headers["Authorization"] = f"Bearer {token}"
            url = path if path.startswith("/") else f"/api/v1/{path}"
            return self.client.get(url, headers=headers, query_string=query or None)

        def walk(self, path: str, token: str, **query) -> list[dict]:
            """Every row of a list, page by page through the cursors."""
            rows, cursor = [], None
            while True:
                response = self.get(path, token, **query, **({"cursor": cursor} if cursor else {}))
                assert response.status_code == 200, response.get_json()
                body = response.get_json()
                rows.extend(body["data"])
                if not (cursor := body["next_cursor"]):
                    return rows
    return Api()


def list_path(name: str, region: dict) -> str:
    return f"seminars/{region['seminar'].id}/registrations" if name == "registrations" else name
