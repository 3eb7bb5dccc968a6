"""An accepted trigger's writes across the tables: found in one round trip, written in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lead_events.errors import ConcurrentChange, EventAlreadyFired
from lead_events.store import keys
from lead_events.store.dynamo import Cancelled, from_item, to_item, transact
from lead_events.store.entries import EntryStore
from lead_events.store.leads import LeadStore, lead_from_item
from lead_events.store.reports import ReportStore

if TYPE_CHECKING:
    from lead_events.models.leads import Lead

_UNPROCESSED_TRIES = 5


class TriggerStore:
    def __init__(self, leads: LeadStore, logs: EntryStore, reports: ReportStore, config_table: str) -> None:
        self._leads, self._logs, self._reports = leads, logs, reports
        self._config_table = config_table

    def lead_and_config_version(
        self, org_id: str, *, lead_id: str | None = None, transaction_id: str | None = None
    ) -> tuple[Lead | None, int | None]:
        """The lead (None if unknown) and the organization's configuration version (None without an
        organization item), in one BatchGetItem round trip."""
        db, table = self._leads.db, self._leads.table
        lead_key = (
            self._leads.lead_key(org_id, lead_id) if lead_id else self._leads.txn_key(org_id, transaction_id or "")
        )
        meta_key = to_item({"pk": keys.org_pk(org_id), "sk": keys.ORG_META})
        request: dict[str, Any] = {
            table: {"Keys": [lead_key], "ConsistentRead": True},
            self._config_table: {"Keys": [meta_key], "ConsistentRead": True},
        }
        found: dict[str, list[dict[str, Any]]] = {table: [], self._config_table: []}
        for _ in range(_UNPROCESSED_TRIES):
            answer = db.batch_get_item(RequestItems=request)
            for name, items in answer.get("Responses", {}).items():
                found[name] += [from_item(item) for item in items]
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError(f"DynamoDB left keys unprocessed {_UNPROCESSED_TRIES} times")
        lead = lead_from_item(found[table][0]) if found[table] else None
        meta = found[self._config_table]
        return lead, int(meta[0].get("config_version", 0)) if meta else None

    def accept_trigger(
        self,
        org_id: str,
        entry: dict[str, Any],
        *,
        once_per_lead: bool,
        conversion: bool,
        revenue: Decimal | None,
        first_conversion_of: Lead | None = None,
    ) -> None:
        """Write the log entry (its deliveries in its outbox), the once-per-lead marker and the report
        counters, all or nothing; with `first_conversion_of` (the lead, not converted when read), also
        mark the lead converted and count it in its cohort's counters.

        EventAlreadyFired when the event is once per lead and has fired for this lead, whether the
        marker was there already or a trigger of it won a race with this one. When another conversion
        marked the lead first, the trigger is written as one of a converted lead.
        """
        event, lead_id, log_id = entry["event"], entry["lead_id"], entry["log_id"]
        writes: list[Any] = [self._logs.entry_put(org_id, entry)]
        if once_per_lead:
            writes.append(self._leads.fired_marker(org_id, lead_id, event, log_id))
        marks = len(writes)  # where the lead's converted marks go, when it converts

        def with_counters(lead: Lead | None) -> Callable[[], list[Any]]:
            def items() -> list[Any]:  # each attempt draws its counters' copy anew (store/reports.py)
                converting = [] if lead is None else self._leads.converted_marks(org_id, lead, entry["created_at"])
                return (
                    writes
                    + converting
                    + self._reports.trigger_counters(
                        org_id,
                        entry["created_at"],
                        event,
                        entry["campaign_id"],
                        conversion,
                        revenue,
                        converted_lead_created_at=None if lead is None else lead.created_at,
                    )
                )

            return items

        try:
            try:
                transact(self._leads.db, with_counters(first_conversion_of))
            except Cancelled as exc:
                if first_conversion_of is None or exc.first not in (marks, marks + 1):
                    raise
                # Another conversion of the lead landed since it was read: it counted the lead.
                transact(self._leads.db, with_counters(None))
            except ConcurrentChange:
                # Met other transactions on the lead every time: when one was its first conversion, this
                # trigger no longer needs the lead's item.
                if first_conversion_of is None or not self._leads.is_converted(org_id, lead_id):
                    raise
                transact(self._leads.db, with_counters(None))
        except Cancelled as exc:
            if once_per_lead and exc.first == 1:  # the marker's condition: it exists
                raise EventAlreadyFired(event, lead_id) from exc
            raise
        except ConcurrentChange:
            # Met other transactions every time: when they were triggers of this event for this lead,
            # one of them has fired it, and that is the answer.
            if once_per_lead and self._leads.has_fired(org_id, lead_id, event):
                raise EventAlreadyFired(event, lead_id) from None
            raise
