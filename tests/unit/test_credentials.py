"""API keys: minted, parsed from the Authorization header, and checked against a stored hash."""

from dataclasses import replace

import pytest

from lead_events.logic.credentials import bearer_key, hash_secret, mint_api_key, mint_inbound_token, resolve_api_key
from lead_events.store.orgs import StoredApiKey


class FakeKeys:
    def __init__(self, *stored: StoredApiKey) -> None:
        self.stored = {(s.org_id, s.key_id): s for s in stored}
        self.reads: list[tuple[str, str]] = []

    def api_key(self, org_id: str, key_id: str) -> StoredApiKey | None:
        self.reads.append((org_id, key_id))
        return self.stored.get((org_id, key_id))


def _stored(org_id: str = "org-abc") -> tuple[str, StoredApiKey]:
    minted = mint_api_key(org_id)
    return minted.secret, StoredApiKey(org_id=org_id, key_id=minted.key_id, key_hash=minted.hash, revoked=False)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_key_is_read_from_the_authorization_header(header: str | None, expected: str | None) -> None:
    assert bearer_key(header) == expected


def test_a_minted_key_resolves_to_its_organization() -> None:
    secret, stored = _stored()
    assert resolve_api_key(FakeKeys(stored), secret) == stored


def test_the_key_is_stored_only_as_a_hash() -> None:
    minted = mint_api_key("org-abc")
    assert minted.hash == hash_secret(minted.secret)
    assert minted.secret not in minted.hash
    assert len(minted.secret) > 50  # 256 random bits plus the routing prefix


def test_a_wrong_secret_for_an_existing_key_is_refused() -> None:
    secret, stored = _stored()
    tampered = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert resolve_api_key(FakeKeys(stored), tampered) is None


def test_a_revoked_key_is_refused() -> None:
    secret, stored = _stored()
    assert resolve_api_key(FakeKeys(replace(stored, revoked=True)), secret) is None


@pytest.mark.parametrize(
    "key", ["", "garbage", "lek_only_two", "xyz_org-abc_0000_secret", "lek_org-abc_0000_" + "x" * 300]
)
def test_malformed_keys_are_refused_without_a_lookup(key: str) -> None:
    store = FakeKeys()
    assert resolve_api_key(store, key) is None
    assert store.reads == []


def test_another_organizations_key_id_does_not_unlock_this_one() -> None:
    secret_a, stored_a = _stored("org-a")
    _secret_b, stored_b = _stored("org-b")
    # The key names org-a; a store holding only org-b's key cannot resolve it.
    assert resolve_api_key(FakeKeys(stored_b), secret_a) is None
    assert resolve_api_key(FakeKeys(stored_a, stored_b), secret_a) == stored_a


def test_inbound_tokens_are_long_random_values() -> None:
    first, second = mint_inbound_token("org-a"), mint_inbound_token("org-a")
    assert first.secret != second.secret
    assert first.hash == hash_secret(first.secret)
