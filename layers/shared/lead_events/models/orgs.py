"""Organizations (tenants) and their credentials."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Organization(BaseModel):
    org_id: str
    name: str
    created_at: str


class CreatedOrganization(BaseModel):
    """What `make org` prints: the secrets are shown this once and stored only as hashes."""

    org_id: str
    api_key: str
    postback_url: str


class PostbackSettings(BaseModel):
    postback_url: str = Field(
        description="The inbound postback URL to paste into affiliate networks and CRMs: "
        "GET or POST with event, transaction_id (or tid, click_id, clickid, lead_id), revenue and custom fields."
    )
