"""Regions, users and roles."""
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.enums import LabelledEnum
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db


def verify_password(password_hash: str, password: str) -> bool:
    """The one place a password is checked against a hash (sign-in, a stand-in for unknown addresses)."""
    return check_password_hash(password_hash, password)


class Role(LabelledEnum):
    ADMIN = "admin", _l("Administrator")
    MANAGER = "manager", _l("Regional manager")
    REP = "rep", _l("Sales rep")
    EXPERT = "expert", _l("Expert")


user_regions = sa.Table(
    "user_regions",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_id", sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)


class Region(db.Model):
    __tablename__ = "regions"
    __audit_label__ = _l("Region")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name in Latin letters (unique, what the CLI and imports name a region by) and in Chinese.
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name_zh: Mapped[str | None] = mapped_column(sa.String(80))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the Chinese one in the Chinese interface, when it has one."""
        locale = get_locale()
        if self.name_zh and locale is not None and locale.language == "zh":
            return self.name_zh
        return self.name

    def __repr__(self) -> str:
        return f"<Region {self.name}>"


# The roles that manage a region; require_role(*MANAGING_ROLES) guards their views.
MANAGING_ROLES = (Role.ADMIN, Role.MANAGER)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __audit_label__ = _l("User")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.REP)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # Changing it logs out every session of this user (Flask-Login keys sessions on get_id).
    session_token: Mapped[str] = mapped_column(sa.String(64))
    ics_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while an invitation waits: nobody knows the account's password yet.
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    regions: Mapped[list[Region]] = relationship(secondary=user_regions, lazy="selectin")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.password_set_at = utcnow()

    @property
    def invitation_pending(self) -> bool:
        return self.password_set_at is None

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT

    @property
    def can_manage(self) -> bool:
        """Admins and regional managers: delete companies, keep experts, decide escalations."""
        return self.role in MANAGING_ROLES

    @property
    def region_ids(self) -> list[int]:
        return [r.id for r in self.regions]

    def __repr__(self) -> str:
        return f"<User {self.email}>"
