"""The template's SQS event sources, run like Lambda's pollers.

Batches of up to BatchSize; a function error leaves the whole batch to come back after the queue's
visibility timeout; with ReportBatchItemFailures only the reported messages stay. The queue's own
redrive policy (in moto) moves a message to the dead-letter queue after maxReceiveCount receives.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import boto3

from local.lambdas import FunctionPool
from local.template import ACCOUNT, REGION, QueueSource, Stack

log = logging.getLogger("local.sqs")

# How long a receive waits for messages, as Lambda's pollers do: an idle queue costs a request that often,
# not one a second. A message sent meanwhile is received at once.
LONG_POLL_SECONDS = 20


class QueuePoller:
    def __init__(self, stack: Stack, source: QueueSource, pool: FunctionPool, stopping: threading.Event) -> None:
        self.source = source
        self.pool = pool
        self.stopping = stopping
        self.queue_name = stack.queues[source.queue]["QueueName"]
        self.queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue_name}"
        self.sqs = boto3.client("sqs")
        self.queue_url = self.sqs.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        self._batches = 0  # batches received and not yet handed over and deleted, over every thread
        self._settled = threading.Condition()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=LONG_POLL_SECONDS)
            except Exception:
                if not self.stopping.is_set():
                    log.exception("polling %s failed", self.queue_name)
                    self.stopping.wait(1)

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [dict(m) for m in answer.get("Messages", [])]

    def settle(self, timeout: float) -> bool:
        """Wait until no batch is in hand (a receive still waiting for messages holds none): what stopping
        the stack waits for. Whether that came within `timeout` seconds."""
        with self._settled:
            return self._settled.wait_for(lambda: self._batches == 0, timeout)

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and hand it to the function; returns how many messages it held."""
        messages = self._receive(min(self.source.batch_size, 10), wait_seconds)
        if not messages:
            return 0
        with self._settled:
            self._batches += 1
        try:
            return self._hand_over(messages)
        finally:
            with self._settled:
                self._batches -= 1
                self._settled.notify_all()

    def _hand_over(self, messages: list[dict[str, Any]]) -> int:
        # SQS hands out at most 10 at a time: while they come full, take more, up to BatchSize, at once.
        while len(messages) < self.source.batch_size and len(messages) % 10 == 0:
            more = self._receive(min(self.source.batch_size - len(messages), 10), 0)
            messages += more
            if not more:
                break
        event = {"Records": [self._record(dict(m)) for m in messages]}
        try:
            result = self.pool.invoke(event)
        except Exception:
            log.exception("%s failed on a batch of %d; it will come back", self.source.function, len(messages))
            return len(messages)
        failed: set[str] = set()
        if self.source.report_batch_item_failures and isinstance(result, dict):
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }
