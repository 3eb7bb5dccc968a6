"""boto3 clients, created on first use and reused for the life of the container."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sqs() -> SQSClient:
    """The SQS client of this container."""
    return boto3.client("sqs", config=_CONFIG)


def reset_clients() -> None:
    """Forget the cached clients (tests start a fresh moto backend per test)."""
    dynamodb.cache_clear()
    sqs.cache_clear()
