"""The audit trail: who looked at or changed what, with every identifier masked before it is stored."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from core.masking import mask, scrub
from services.models import AuditLog


def audit(session: Session, actor: str, action: str, subject: str | None, **detail: Any) -> None:
    """Record one action; `subject` keeps only its last 4 characters whatever its length (account
    numbers of 6–8 digits too), and identifier-like numbers in the detail are masked."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            subject=mask(subject) if subject else None,
            detail=json.dumps(scrub(detail), ensure_ascii=False),
        )
    )
