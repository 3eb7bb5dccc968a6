"""Every key of the configuration table, in one place. Each partition key starts with the organization.

The full scheme, including the items later features add, is documented in docs/data-model.md.
"""

ORG_META = "ORG"
EVENT_PREFIX = "EVENT#"
API_KEY_PREFIX = "APIKEY#"
INBOUND_TOKEN = "INBOUND"  # noqa: S105 - a sort key, not a secret


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def event_sk(name: str) -> str:
    return f"{EVENT_PREFIX}{name}"


def api_key_sk(key_id: str) -> str:
    return f"{API_KEY_PREFIX}{key_id}"
