"""Jobs that kept failing after their retries, kept for admins to see and retry."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.models.base import Base, utcnow


class JobFailure(Base):
    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    queue: Mapped[str] = mapped_column(sa.String(40))
    error: Mapped[str] = mapped_column(sa.Text)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    retried_at: Mapped[datetime | None]
