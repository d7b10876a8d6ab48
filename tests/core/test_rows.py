"""Rows loaded in the order of a page of ids read elsewhere."""
from sqlalchemy import select

from app.accounts.models import Company
from app.core.rows import in_order
from app.extensions import db


def test_rows_come_in_the_order_of_the_ids_and_a_missing_one_is_left_out(app, make_company):
    a, b, c = (make_company(f"瑞安第{i}阀门有限公司") for i in range(3))
    assert [x.id for x in in_order(select(Company), [c.id, a.id, 999_999, b.id])] == [c.id, a.id, b.id]
    assert in_order(select(Company), []) == []


def test_a_name_is_found_as_the_unique_index_sees_it_or_in_other_letter_case(app, make_region):
    from app.auth.models import Region
    from app.core.rows import same_name
    make_region("Ärhus"), make_region("Wenzhou")

    def found(name):
        return db.session.scalars(select(Region.name).where(same_name(Region.name, name))).all()
    assert found(" Ärhus ") == ["Ärhus"] and found("wenzhou") == ["Wenzhou"] and found("Taizhou") == []


def test_an_id_known_before_the_insert_is_the_rows_and_the_next_one_is_another(app, make_region):
    from app.auth.models import Region
    from app.core.rows import next_id
    make_region("Wenzhou")
    first = db.session.scalar(select(next_id(Region)))
    region = Region(id=first, name="Taizhou", timezone="Asia/Shanghai")
    db.session.add(region)
    db.session.flush()
    assert db.session.get(Region, first) is region
    assert db.session.scalar(select(next_id(Region))) > first  # taken: never handed out again
    db.session.rollback()
