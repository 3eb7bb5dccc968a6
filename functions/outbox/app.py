"""Outbox relay: turns the logs table's stream records of due deliveries into postback queue messages.

Invoked by the template's DynamoDB event source with the records its filter lets through, in
order. The batch's messages are sent together, ten at a time (logic/outbox.py), which Powertools'
per-record BatchProcessor would not do; the answer is the same partial-failure response
(`ReportBatchItemFailures`, by sequence number): Lambda retries from the first record reported.
"""

from __future__ import annotations

from lead_events import coldstart

coldstart.begin()  # before the imports below (lead_events/coldstart.py)

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.logic.outbox import relay
from lead_events.observability import logger, metrics, traced
from lead_events.wiring import delivery_queue


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, list[dict[str, str]]]:
    records = event.get("Records") or []
    failed = relay(records, delivery_queue())
    logger.info("Outbox records relayed", extra={"records": len(records), "failed": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}


coldstart.end()
