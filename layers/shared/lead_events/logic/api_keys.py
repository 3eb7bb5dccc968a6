"""An organization's API keys: several, named, shown once, listed without secrets, revocable."""

from __future__ import annotations

from lead_events.clock import utc_now
from lead_events.errors import ConcurrentChange, Conflict, NotFound
from lead_events.logic.credentials import mint_api_key
from lead_events.models.orgs import ApiKeyCreated, ApiKeyList
from lead_events.store.orgs import OrgStore

# Key ids are random: one already in use is minted again. Revoking decides again when keys changed meanwhile.
ATTEMPTS = 3


def create_api_key(store: OrgStore, org_id: str, name: str) -> ApiKeyCreated:
    for _ in range(ATTEMPTS):
        minted = mint_api_key(org_id)
        created_at = utc_now()
        if store.add_api_key(org_id, minted.key_id, name, minted.hash, created_at):
            return ApiKeyCreated(key_id=minted.key_id, name=name, created_at=created_at, api_key=minted.secret)
    raise ConcurrentChange()


def list_api_keys(store: OrgStore, org_id: str) -> ApiKeyList:
    return ApiKeyList(items=store.api_keys(org_id))


def revoke_api_key(store: OrgStore, org_id: str, key_id: str) -> None:
    """Revoke a key; the last active key cannot be revoked (the organization would lock itself out).

    The revocation holds only while another key is still active; when keys were revoked meanwhile,
    the decision is taken again on what they are now.
    """
    for _ in range(ATTEMPTS):
        active = [key.key_id for key in store.api_keys(org_id) if not key.revoked_at]
        if key_id not in active:
            raise NotFound(f"No active API key with id '{key_id[:64]}' exists in this organization.")
        if active == [key_id]:
            raise Conflict("This is the organization's last active API key; create another before revoking it.")
        other = next(k for k in active if k != key_id)
        if store.revoke_api_key(org_id, key_id, utc_now(), while_active=other):
            return
    raise ConcurrentChange()
