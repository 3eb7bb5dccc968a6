"""What a delivery is rendered from: a postback as stored, its secret included (never an API answer).

A frozen dataclass, not a pydantic model: the dispatcher reads it and never imports pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class PostbackTarget:
    url: str
    id: str | None = None  # None: the affiliate's postback
    event: str | None = None
    method: str = "GET"
    body: Any = None  # the body template (plain JSON), POST only
    body_format: str = "json"
    headers: dict[str, str] = field(default_factory=dict)
    success_match: str | None = None
    enabled: bool = True
    campaign_id: str | None = None
    signing_secret: str | None = None
    consecutive_failures: int = 0
    disabled_reason: str | None = None
    disabled_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> PostbackTarget:
        """From stored values (unknown attributes are left out; missing ones take their defaults)."""
        known = {f.name for f in fields(cls)}
        present = {k: v for k, v in values.items() if k in known and v is not None}
        present["consecutive_failures"] = int(present.get("consecutive_failures") or 0)
        return cls(**present)

    def applies_to(self, campaign_id: str) -> bool:
        """Whether it fires for a lead of `campaign_id`: enabled, and for every campaign or that one."""
        return self.enabled and self.campaign_id in (None, campaign_id)
