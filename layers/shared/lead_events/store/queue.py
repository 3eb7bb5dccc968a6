"""The postback queue: one message per delivery, sent in batches of ten."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lead_events.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_SQS_DELAY = 900


class DeliveryQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self.sqs = client
        self.queue_url = queue_url

    def send(self, messages: Sequence[tuple[dict[str, Any], float]]) -> list[bool]:
        """Queue each message (a delivery reference) with its delay in seconds, capped at SQS's 15 minutes.

        Whether each was queued, in order: a message SQS refused, or that a batch could not reach SQS
        with, is False, for the caller to hand on.
        """
        queued: list[bool] = []
        for start in range(0, len(messages), 10):
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": json.dumps(m),
                    "DelaySeconds": min(max(int(delay), 0), MAX_SQS_DELAY),
                }
                for i, (m, delay) in enumerate(messages[start : start + 10])
            ]
            try:
                answer = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)  # type: ignore[arg-type]
            except (ClientError, BotoCoreError):
                logger.exception("Could not queue deliveries")
                queued += [False] * len(entries)
                continue
            refused = {int(f["Id"]) for f in answer.get("Failed", [])}
            queued += [i not in refused for i in range(len(entries))]
        return queued
