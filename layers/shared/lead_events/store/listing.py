"""Log listings: one page of an organization's entries, newest first, by filters and dates.

Each filter combination is a Query on the index made for it (keys.LOG_INDEXES); a lead's entries
are its partition of the `by_lead` index. A page's cursor (store/cursors.py) holds the month it
stopped in and the `created_key` of its last entry, never a partition key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lead_events.errors import InvalidCursor
from lead_events.models.entries import EntrySummary
from lead_events.store import cursors, entry_items, keys
from lead_events.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from lead_events.models.listing import LogFilters
    from lead_events.store.entries import EntryStore

_CREATED_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T[0-9:.]+Z#[0-9a-f]{1,40}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def encode_listing_cursor(month: str | None, created_key: str) -> str:
    return cursors.encode({"m": month, "k": created_key})


def decode_listing_cursor(cursor: str) -> tuple[str | None, str]:
    """(month, created_key) of a listing cursor; InvalidCursor when it is not one of ours."""
    month, created_key = cursors.decode(cursor, "m", "k")
    if not isinstance(created_key, str) or not _CREATED_KEY.fullmatch(created_key):
        raise InvalidCursor()
    if month is not None and (not isinstance(month, str) or not _MONTH.fullmatch(month)):
        raise InvalidCursor()
    return month, created_key


class _IndexKey:
    """One key value of a listing index within [lower, upper], read newest first, a page at a time."""

    def __init__(self, db: DynamoDBClient, query: dict[str, Any], before: str | None) -> None:
        self._db, self._query, self._before = db, query, before
        self.items: list[dict[str, Any]] = []  # read, not yet taken; newest first
        self.done = False  # nothing left to read

    def read(self, limit: int) -> None:
        query = self._query | {"Limit": limit + (self._before is not None)}
        answer = self._db.query(**query)
        found = [from_item(item) for item in answer.get("Items", [])]
        if self._before is not None:  # the bound is inclusive; the cursor's own entry was listed already
            found = [item for item in found if item["created_key"] < self._before]
            self._before = None
        self.items += found
        if "LastEvaluatedKey" in answer:
            self._query = self._query | {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
        else:
            self.done = True

    @property
    def more(self) -> bool:
        return bool(self.items) or not self.done


class LogListing:
    """Log listings: each filter combination is a Query on the index made for it (keys.LOG_INDEXES).

    An index key is spread over keys.LISTING_SHARDS key values (plus the one entries were written
    under before that): a page reads each, a share of the page at a time, and merges them by
    time, reading a key value again only when the page needs more of it than it has read.
    """

    def __init__(self, store: EntryStore) -> None:
        self.db = store.db
        self.table = store.table

    def page(
        self,
        org_id: str,
        filters: LogFilters,
        *,
        months: list[str],
        lower: str,
        upper: str,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[EntrySummary], str | None]:
        """Entries newest first between `lower` and `upper` (ISO timestamps), one page, and the next cursor."""
        items, next_cursor = self._page(org_id, filters, months, lower, upper, limit, cursor)
        return [entry_items.summary(item) for item in items], next_cursor

    def _page(
        self,
        org_id: str,
        filters: LogFilters,
        months: list[str],
        lower: str,
        upper: str,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        after = decode_listing_cursor(cursor) if cursor else None
        if filters.lead_id is not None:
            return self._by_lead(org_id, filters, lower, upper, limit, after)
        if after is not None:
            if after[0] not in months:
                raise InvalidCursor()
            months = months[months.index(after[0]) :]
        items: list[dict[str, Any]] = []
        for month in months:
            before = after[1] if after is not None and after[0] == month else None
            found, more = self._month(org_id, filters, month, lower, upper, before, limit - len(items))
            items += found
            if len(items) >= limit:
                more = more or month != months[-1]
                return items, encode_listing_cursor(month, items[-1]["created_key"]) if more else None
        return items, None

    def _month(
        self,
        org_id: str,
        filters: LogFilters,
        month: str,
        lower: str,
        upper: str,
        before: str | None,
        wanted: int,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `wanted` entries of one month, newest first (older than `before`), and whether it has more."""
        if before is not None and before < lower:
            return [], False  # a cursor from before this range: nothing of this month is older and in it
        event, campaign_id, status = filters.event, filters.campaign_id, filters.status
        index, attribute = keys.LOG_INDEXES[(event is not None, campaign_id is not None, status is not None)]
        sources = []
        for shard in (None, *range(keys.LISTING_SHARDS)):
            value = keys.log_index_key(org_id, month, event, campaign_id, status, shard)
            query: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": index,
                "KeyConditionExpression": "#k = :k AND created_key BETWEEN :lower AND :upper",
                "ExpressionAttributeNames": {"#k": attribute},
                "ExpressionAttributeValues": to_item(
                    {":k": value, ":lower": lower, ":upper": min(before or "~", upper + "~")}
                ),
                "ScanIndexForward": False,
            }
            sources.append(_IndexKey(self.db, query, before))
        share = -(-wanted // keys.LISTING_SHARDS) + 1  # each key value's part of the page, and a look-ahead
        taken: list[dict[str, Any]] = []
        while len(taken) < wanted:
            for source in sources:
                if not source.items and not source.done:
                    source.read(share)
            ready = [s for s in sources if s.items]
            if not ready:
                break
            newest = max(ready, key=lambda s: s.items[0]["created_key"])
            taken.append(newest.items.pop(0))
        return taken, any(s.more for s in sources)

    def _by_lead(
        self,
        org_id: str,
        log_filters: LogFilters,
        lower: str,
        upper: str,
        limit: int,
        after: tuple[str | None, str] | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        # A lead has a handful of entries: the other filters are applied to that partition alone.
        lead_id = str(log_filters.lead_id)
        filters = {
            name: value
            for name, value in (
                ("event", log_filters.event),
                ("campaign_id", log_filters.campaign_id),
                ("status", log_filters.status),
            )
            if value is not None
        }
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "by_lead",
            "KeyConditionExpression": "lead_key = :lead AND created_key BETWEEN :lower AND :upper",
            "ExpressionAttributeValues": to_item(
                {":lead": keys.log_lead_key(org_id, lead_id), ":lower": lower, ":upper": upper + "~"}
                | {f":{name}": value for name, value in filters.items()}
            ),
            "ScanIndexForward": False,
        }
        if filters:
            query["FilterExpression"] = " AND ".join(f"#{name} = :{name}" for name in filters)
            query["ExpressionAttributeNames"] = {f"#{name}": name for name in filters}
        if after is not None:
            query["ExclusiveStartKey"] = to_item(
                {
                    "lead_key": keys.log_lead_key(org_id, lead_id),
                    "created_key": after[1],
                    "pk": keys.log_pk(org_id, after[1].rsplit("#", 1)[1]),
                    "sk": keys.LOG_ENTRY,
                }
            )
        items: list[dict[str, Any]] = []
        while True:
            answer = self.db.query(**query)
            items += [from_item(item) for item in answer.get("Items", [])]
            if len(items) > limit or "LastEvaluatedKey" not in answer:
                break
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        page = items[:limit]
        more = len(items) > limit or (len(page) == limit and "LastEvaluatedKey" in answer)
        return page, encode_listing_cursor(None, page[-1]["created_key"]) if more and page else None
