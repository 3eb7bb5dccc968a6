"""Every key of every table, in one place. Each partition key starts with the organization.

The full scheme is documented in docs/data-model.md.
"""

import zlib

ORG_META = "ORG"
EVENT_PREFIX = "EVENT#"
POSTBACK_PREFIX = "POSTBACK#"
API_KEY_PREFIX = "APIKEY#"
INBOUND_TOKEN = "INBOUND"  # noqa: S105 - a sort key, not a secret
LIST_PREFIX = "LIST#"
AFFILIATE_PREFIX = "AFFILIATE#"
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


def affiliate_sk(affiliate_id: str) -> str:
    return f"{AFFILIATE_PREFIX}{affiliate_id}"


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


# Log listing indexes: every combination of event / campaign / status filters has its own GSI,
# partitioned by organization and month, sorted by `created_key`.
LOG_INDEXES: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (False, False, False): ("by_org", "k_org"),
    (True, False, False): ("by_event", "k_e"),
    (False, True, False): ("by_campaign", "k_c"),
    (False, False, True): ("by_status", "k_s"),
    (True, True, False): ("by_event_campaign", "k_ec"),
    (True, False, True): ("by_event_status", "k_es"),
    (False, True, True): ("by_campaign_status", "k_cs"),
    (True, True, True): ("by_event_campaign_status", "k_ecs"),
}


# Each listing index key is spread over LISTING_SHARDS key values (an entry's is fixed by its id): one
# key value takes at most 1,000 writes a second, and every entry of an organization's month would
# otherwise write the same one (docs/capacity.md). A listing reads them all and merges them by time.
LISTING_SHARDS = 4


def listing_shard(log_id: str) -> int:
    return zlib.crc32(log_id.encode()) % LISTING_SHARDS


def log_index_key(
    org_id: str,
    month: str,
    event: str | None = None,
    campaign_id: str | None = None,
    status: str | None = None,
    shard: int | None = None,
) -> str:
    """The partition key of the listing index that serves these filters, for one month (`yyyy-mm`).

    `shard` None: the key entries were written under before there were shards.
    """
    key = f"ORG#{org_id}#{month}"
    if event is not None:
        key += f"#E#{event}"
    if campaign_id is not None:
        key += f"#C#{campaign_id}"
    if status is not None:
        key += f"#S#{status}"
    return key if shard is None else f"{key}#P{shard}"


def log_index_keys(
    org_id: str, log_id: str, created_at: str, event: str, campaign_id: str, status: str
) -> dict[str, str]:
    """Every listing index key of one entry."""
    month, shard = created_at[:7], listing_shard(log_id)
    return {
        attribute: log_index_key(
            org_id,
            month,
            event if by_event else None,
            campaign_id if by_campaign else None,
            status if by_status else None,
            shard,
        )
        for (by_event, by_campaign, by_status), (_, attribute) in LOG_INDEXES.items()
    }


def report_pk(org_id: str, dimension: str, year: str, group: int | None = None) -> str:
    """Report counters: `dimension` is ALL, EVENT, CAMPAIGN or CAMPAIGN#<campaign_id>; `group` is the
    counter's partition group (store/reports.py; None for the counters written before there were groups)."""
    base = f"ORG#{org_id}#REPORT#{dimension}#{year}"
    return base if group is None else f"{base}#G{group}"


def campaign_totals_pk(org_id: str, group: int) -> str:
    """Each campaign's all-time lead counters (sort key `<campaign_id>#<copy>`), in partition group `group`."""
    return f"ORG#{org_id}#REPORT#CAMPAIGNS#G{group}"
