"""Dispatcher: fires queued postbacks, a batch's deliveries concurrently, reporting partial failures."""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.batch import ConcurrentBatchProcessor
from lead_events.observability import logger, metrics, traced
from lead_events.store.factory import dispatcher

processor = ConcurrentBatchProcessor()


def deliver(record: SQSRecord) -> str:
    outcome = dispatcher().deliver(json.loads(record.body))
    logger.info("Delivery handled", extra={"message_id": record.message_id, "outcome": outcome})
    return outcome


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)
