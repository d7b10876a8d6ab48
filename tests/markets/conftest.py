import pytest

from app.extensions import db


@pytest.fixture
def make_association(app, make_region):
    from app.associations.models import Association

    def make(name="温州市眼镜商会", region="Wenzhou", markets=(), members=(), **kw):
        association = Association(name=name, region=make_region(region), **kw)
        association.markets = list(markets)
        db.session.add(association)
        db.session.flush()
        for company in members:
            company.associations.append(association)
        db.session.commit()
        return association
    return make


@pytest.fixture
def make_term(app):
    from app.associations.models import Membership

    def make(association, **kw):
        term = Membership(association=association, **kw)
        db.session.add(term)
        db.session.commit()
        return term
    return make
