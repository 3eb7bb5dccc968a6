"""Dispatcher: fires a batch of queued postbacks concurrently and reports partial failures.

The batch is handled as one (logic/dispatch.py: its entries and their requests in parallel, each
entry's outcomes written in one transaction), so Powertools' per-record BatchProcessor does not
fit; the answer is the same partial-failure response (`ReportBatchItemFailures`): a failed message
comes back alone.
"""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

import json
from collections import Counter
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.observability import logger, metrics, traced
from lead_events.wiring import dispatcher


def _message(record: dict[str, Any]) -> dict[str, Any]:
    message = json.loads(record["body"])
    if not isinstance(message, dict):
        raise TypeError("The message body is not a JSON object.")
    return message


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records") or []
    messages: list[dict[str, Any] | Exception] = []
    for record in records:
        try:
            messages.append(_message(record))
        except (KeyError, TypeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            messages.append(exc)
    valid = [m for m in messages if isinstance(m, dict)]
    results = iter(dispatcher().deliver_batch(valid, context.get_remaining_time_in_millis() / 1000))
    failures = []
    outcomes: Counter[str] = Counter()
    for record, message in zip(records, messages, strict=True):
        result = message if isinstance(message, Exception) else next(results)
        if isinstance(result, Exception):
            logger.warning(
                "Delivery message failed", extra={"message_id": record.get("messageId"), "error": str(result)}
            )
            failures.append({"itemIdentifier": record.get("messageId", "")})
        else:
            outcomes[result] += 1
    # One line a batch (each delivery's outcome is in its log entry): delivered, retrying, failed, skipped ...
    logger.info("Batch handled", extra={"messages": len(records), "outcomes": dict(outcomes), "failed": len(failures)})
    return {"batchItemFailures": failures}


coldstart.end()
