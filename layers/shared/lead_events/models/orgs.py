"""Organizations (tenants) and their credentials."""

from __future__ import annotations

from pydantic import BaseModel


class Organization(BaseModel):
    org_id: str
    name: str
    created_at: str


class CreatedOrganization(BaseModel):
    """What `make org` prints: the secrets are shown this once and stored only as hashes."""

    org_id: str
    api_key: str
    postback_url: str
