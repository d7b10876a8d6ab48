"""Every mapped table describes itself: the audit log, the region scope and the admin pages read
what the model declares, so a table that says nothing would be missed by all three."""
import pytest
from sqlalchemy.orm.interfaces import MANYTOONE

from app.audit import AuditEntry
from app.extensions import db


def _models():
    return [m.class_ for m in db.Model.registry.mappers if m.class_ is not AuditEntry]


@pytest.fixture
def models(app):
    return _models()


def test_every_model_has_an_audit_label(app, models):
    with app.test_request_context():
        assert [m.__tablename__ for m in models if not str(vars(m).get("__audit_label__") or "")] == []


def test_every_model_says_how_a_row_reaches_its_region(models):
    """A region_id column, a many-to-one parent that has one, or an explicit None (not limited by itself)."""
    undescribed, broken = [], []
    for model in models:
        mapper = model.__mapper__
        if "region_id" in mapper.columns:
            continue
        if "__region_via__" not in vars(model):
            undescribed.append(model.__tablename__)
        elif (via := model.__region_via__) is not None:
            rel = mapper.relationships.get(via)
            if rel is None or rel.direction is not MANYTOONE or "region_id" not in rel.mapper.columns:
                broken.append(model.__tablename__)
    assert undescribed == [], "declare __region_via__ (a parent relationship, or None)"
    assert broken == [], "__region_via__ must name a many-to-one parent with a region_id"


def test_pages_and_parents_lead_to_pages_that_exist(app, models):
    for model in models:
        if (page := vars(model).get("__page__")) is not None:
            endpoint, param = page
            rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
            assert rules and param in rules[0].arguments, (model.__tablename__, page)
        if (column := vars(model).get("__parent__")) is not None:
            (fk,) = model.__table__.c[column].foreign_keys
            parent = next(m.class_ for m in db.Model.registry.mappers if m.local_table is fk.column.table)
            assert "__page__" in vars(parent), model.__tablename__


def test_folded_lists_name_a_collection_and_a_row_attribute(models):
    for model in models:
        for key, (_name, attribute) in vars(model).get("__audit_lists__", {}).items():
            rel = model.__mapper__.relationships[key]
            assert hasattr(rel.mapper.class_, attribute), (model.__tablename__, key)
