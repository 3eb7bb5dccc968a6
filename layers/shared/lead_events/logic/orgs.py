"""Creating an organization with its first API key and inbound postback token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from lead_events.clock import utc_now
from lead_events.errors import InvalidInput, OrganizationNameTaken
from lead_events.logic.credentials import mint_api_key, mint_inbound_token, new_org_id
from lead_events.models.orgs import CreatedOrganization, Organization


class OrgWriter(Protocol):
    def create(self, org: Organization, key_id: str, key_hash: str, inbound_token: str) -> None: ...


def postback_url(api_url: str, token: str) -> str:
    """The inbound postback URL that affiliate networks and CRMs call."""
    return f"{api_url.rstrip('/')}/postback/{token}"


def create_organization(
    store: OrgWriter, name: str, api_url: str, *, taken_by: Callable[[str], list[str]] | None = None
) -> CreatedOrganization:
    """Create an organization; the returned key and URL are the only time the secrets are shown.

    `taken_by(name)` names the organizations that already have the name: then it is refused (two
    tenants called "Acme" are almost always one created twice). The admin command passes it.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("The organization name must be 1 to 200 characters.")
    if taken_by is not None and (existing := taken_by(name)):
        raise OrganizationNameTaken(name, existing)
    org = Organization(org_id=new_org_id(), name=name, created_at=utc_now())
    key = mint_api_key(org.org_id)
    token = mint_inbound_token(org.org_id)
    store.create(org, key_id=key.key_id, key_hash=key.hash, inbound_token=token.secret)
    return CreatedOrganization(org_id=org.org_id, api_key=key.secret, postback_url=postback_url(api_url, token.secret))


class InboundTokens(Protocol):
    def inbound_token(self, org_id: str) -> str: ...
    def rotate_inbound_token(self, org_id: str, token: str) -> None: ...


def current_postback_url(store: InboundTokens, org_id: str, api_url: str) -> str:
    return postback_url(api_url, store.inbound_token(org_id))


def rotate_postback_url(store: InboundTokens, org_id: str, api_url: str) -> str:
    """A new inbound token; the old URL stops working at once."""
    token = mint_inbound_token(org_id)
    store.rotate_inbound_token(org_id, token.secret)
    return postback_url(api_url, token.secret)
