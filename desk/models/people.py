"""People (agents, supervisors, FAQ editors, admins), their teams and API tokens."""

import enum
import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from desk.models.base import Base, enum_column, utcnow


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    FAQ_EDITOR = "faq_editor"
    ADMIN = "admin"
    # Reads every report, works no tickets (desk.reports).
    MANAGEMENT = "management"


class Presence(enum.StrEnum):
    """Whether a person is at the desk: any tab active, all tabs idle or hidden, none open."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


team_members = sa.Table(
    "team_members",
    Base.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_team_members_person_id", "person_id"),
)


class PersonRole(Base):
    """One role held by one person; a person may hold several."""

    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)


class Person(UserMixin, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    is_active_account: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last presence the live layer knew (desk.live.presence), and since when.
    presence: Mapped[Presence] = mapped_column(
        enum_column(Presence, "presence"), default=Presence.OFFLINE, server_default="offline"
    )
    presence_at: Mapped[datetime | None]

    role_rows: Mapped[list[PersonRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    teams: Mapped[list["Team"]] = relationship(
        secondary=team_members, back_populates="members", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        """True when the person holds any of the given roles."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def team_ids(self) -> list[int]:
        return [team.id for team in self.teams]

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(
            self.password_hash, password
        )

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Loaded only when asked for: every ticket loads its team, and a team of a few hundred
    # people (with their roles and teams) must not come along each time.
    members: Mapped[list[Person]] = relationship(
        secondary=team_members, back_populates="teams", lazy="select"
    )

    def __repr__(self) -> str:
        return f"<Team {self.name}>"


def hash_token(token: str) -> str:
    """API tokens are long random strings, so a plain SHA-256 is enough at rest."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")
