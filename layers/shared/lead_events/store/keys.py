"""Every key of every table, in one place. Each partition key starts with the organization.

The full scheme is documented in docs/data-model.md.
"""

ORG_META = "ORG"
EVENT_PREFIX = "EVENT#"
POSTBACK_PREFIX = "POSTBACK#"
API_KEY_PREFIX = "APIKEY#"
INBOUND_TOKEN = "INBOUND"  # noqa: S105 - a sort key, not a secret
LIST_PREFIX = "LIST#"
CAMPAIGN_PREFIX = "CAMPAIGN#"
LEAD = "LEAD"
TXN = "TXN"
LOG_ENTRY = "ENTRY"
ATTEMPT_PREFIX = "ATTEMPT#"


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def event_sk(name: str) -> str:
    return f"{EVENT_PREFIX}{name}"


def postback_sk(event: str, postback_id: str) -> str:
    return f"{POSTBACK_PREFIX}{event}#{postback_id}"


def list_sk(list_id: str) -> str:
    return f"{LIST_PREFIX}{list_id}"


def assignment_sk(campaign_id: str, list_id: str) -> str:
    return f"{CAMPAIGN_PREFIX}{campaign_id}#LIST#{list_id}"


def campaign_event_sk(campaign_id: str, event: str) -> str:
    return f"{CAMPAIGN_PREFIX}{campaign_id}#EVENT#{event}"


def api_key_sk(key_id: str) -> str:
    return f"{API_KEY_PREFIX}{key_id}"


def lead_pk(org_id: str, lead_id: str) -> str:
    return f"ORG#{org_id}#LEAD#{lead_id}"


def txn_pk(org_id: str, transaction_id: str) -> str:
    return f"ORG#{org_id}#TXN#{transaction_id}"


def fired_sk(event: str) -> str:
    return f"FIRED#{event}"


def log_pk(org_id: str, log_id: str) -> str:
    return f"ORG#{org_id}#LOG#{log_id}"


def attempt_sk(delivery_id: str, number: int) -> str:
    return f"{ATTEMPT_PREFIX}{delivery_id}#{number:04d}"


def log_lead_key(org_id: str, lead_id: str) -> str:
    """Partition key of the logs table's `by_lead` index: a lead's timeline."""
    return f"ORG#{org_id}#LEAD#{lead_id}"


def log_sort_key(created_at: str, log_id: str) -> str:
    return f"{created_at}#{log_id}"
