"""API keys and inbound postback tokens: minting, and resolving a presented key to its organization.

A key reads `lek_<org_id>_<key_id>_<secret>`: the organization and key id say which item to read
(one GetItem, partition key starting with the organization), the secret is checked against the
stored SHA-256 hash in constant time. Secrets are 256-bit random values, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from lead_events.clock import utc_now
from lead_events.observability import logger
from lead_events.store.orgs import StoredApiKey

API_KEY_PREFIX = "lek"
TOKEN_PREFIX = "pbt"  # noqa: S105 - a label, not a secret


class ApiKeyReader(Protocol):
    def api_key(self, org_id: str, key_id: str) -> StoredApiKey | None: ...


@dataclass(frozen=True)
class Minted:
    key_id: str
    secret: str
    hash: str


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_org_id() -> str:
    return f"org-{secrets.token_hex(6)}"


def mint_api_key(org_id: str) -> Minted:
    """A new API key for `org_id`; only `hash` is ever stored."""
    key_id = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}_{org_id}_{key_id}_{secrets.token_urlsafe(32)}"
    return Minted(key_id=key_id, secret=secret, hash=hash_secret(secret))


def mint_inbound_token(org_id: str) -> Minted:
    """A new inbound postback token (the secret part of the organization's postback URL).

    Unlike API keys it is stored as it is: the organization reads its URL back to paste it into
    affiliate platforms. It is compared in constant time.
    """
    secret = f"{TOKEN_PREFIX}_{org_id}_{secrets.token_urlsafe(32)}"
    return Minted(key_id="", secret=secret, hash=hash_secret(secret))


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None


def resolve_api_key(store: ApiKeyReader, key: str) -> StoredApiKey | None:
    """The stored key that `key` proves, or None when it is malformed, unknown, wrong or revoked."""
    parts = key.split("_", 3)
    if len(parts) != 4 or parts[0] != API_KEY_PREFIX or len(key) > 256:
        return None
    _, org_id, key_id, _secret = parts
    stored = store.api_key(org_id, key_id)
    if stored is None or stored.revoked:
        return None
    if not hmac.compare_digest(stored.key_hash, hash_secret(key)):
        return None
    return stored


class ApiKeyToucher(Protocol):
    def touch_api_key(self, org_id: str, key_id: str, used_at: str) -> None: ...


def record_use(store: ApiKeyToucher, stored: StoredApiKey) -> None:
    """Note when the key was last used; best effort (authorization never fails for it)."""
    try:
        store.touch_api_key(stored.org_id, stored.key_id, utc_now())
    except Exception:
        logger.warning("Could not record the API key's use", exc_info=True)
