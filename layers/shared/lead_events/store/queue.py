"""The postback queue: one message per delivery, sent in batches of ten."""

from __future__ import annotations

import json
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

    def send(self, messages: list[dict[str, Any]], delay_seconds: float = 0) -> list[dict[str, Any]]:
        """Queue `messages` (each a delivery reference); returns those that could not be queued."""
        return self.send_delayed([(m, delay_seconds) for m in messages])

    def send_delayed(self, messages: list[tuple[dict[str, Any], float]]) -> list[dict[str, Any]]:
        """Queue each message with its own delay (capped at SQS's 15 minutes); returns those not queued."""
        failed: list[dict[str, Any]] = []
        for start in range(0, len(messages), 10):
            batch = [m for m, _ in messages[start : start + 10]]
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
                failed += batch
                continue
            failed += [batch[int(f["Id"])] for f in answer.get("Failed", [])]
        return failed
