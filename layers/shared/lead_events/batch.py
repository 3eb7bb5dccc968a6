"""Powertools' SQS batch processing, with a batch's records handled concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType


class ConcurrentBatchProcessor(BatchProcessor):
    """Like BatchProcessor (partial failures and all), but a batch's records run in parallel threads.

    The threads live as long as the container, so a warm dispatcher starts none.
    """

    def __init__(self, event_type: EventType = EventType.SQS, max_workers: int = 10) -> None:
        super().__init__(event_type)
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="delivery")

    def process(self) -> list[Any]:
        return list(self._pool.map(self._process_record, self.records))
