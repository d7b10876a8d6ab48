"""Trade associations (行业协会/商会) and our memberships in them."""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Region, User
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.pinyin import keep_sort_key, sort_key_column
from app.core.types import enum_column
from app.extensions import db
from app.markets.models import Market

association_markets = sa.Table(
    "association_markets",
    db.metadata,
    sa.Column("association_id", sa.ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("market_id", sa.ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
)


class MembershipStatus(LabelledEnum):
    PROSPECT = "prospect", _l("Prospect")
    APPLIED = "applied", _l("Applied")
    ACTIVE = "active", _l("Active")
    LAPSED = "lapsed", _l("Lapsed")


M = MembershipStatus
# The lifecycle prospect → applied → active → lapsed, and back to applied when a lapsed or
# refused membership is tried again.
MEMBERSHIP_LIFECYCLE = Lifecycle(
    apply=({M.PROSPECT, M.LAPSED}, M.APPLIED), activate=({M.PROSPECT, M.APPLIED, M.LAPSED}, M.ACTIVE),
    lapse=({M.ACTIVE}, M.LAPSED), withdraw=({M.APPLIED}, M.PROSPECT),
    renew=({M.ACTIVE, M.LAPSED}, None))
del M


class Association(db.Model):
    __tablename__ = "associations"
    __audit_label__ = _l("Association")
    __page__ = ("associations.detail", "association_id")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "name"),
        sa.CheckConstraint("member_count >= 0", name="member_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_sort: Mapped[str] = sort_key_column("name", index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    member_count: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    region: Mapped[Region] = relationship()
    markets: Mapped[list[Market]] = relationship(secondary=association_markets)
    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="association", order_by="Membership.joined_on.desc()")


keep_sort_key(Association.name, "name_sort")


class Membership(HasLifecycle, db.Model):
    """One term of our membership; a renewal adds a new term and keeps the old."""

    __tablename__ = "memberships"
    __audit_label__ = _l("Membership")
    __parent__ = "association_id"
    __region_via__ = "association"
    lifecycle = MEMBERSHIP_LIFECYCLE
    __table_args__ = (
        sa.CheckConstraint("expires_on IS NULL OR joined_on IS NULL OR expires_on >= joined_on",
                           name="expires_after_joined"),
        sa.CheckConstraint("fee_cents >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus), default=MembershipStatus.PROSPECT)
    joined_on: Mapped[date | None]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    fee_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    level: Mapped[str] = mapped_column(sa.String(80), default="")
    representative_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    association: Mapped[Association] = relationship(back_populates="memberships")
    representative: Mapped[User | None] = relationship()
