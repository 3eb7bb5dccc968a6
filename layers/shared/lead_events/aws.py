"""AWS clients, created on first use and reused for the life of the container.

botocore directly, not boto3: `import boto3` also imports s3transfer (and multiprocessing through it),
about 160 ms of every cold start for nothing the functions use. The clients are the same objects
boto3 would return; AWS_ENDPOINT_URL, the region and credentials come from the environment as usual.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

from botocore.config import Config
from botocore.session import Session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@cache
def _session() -> Session:
    return Session()


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container."""
    return cast("DynamoDBClient", _session().create_client("dynamodb", config=_CONFIG))


@cache
def sqs() -> SQSClient:
    """The SQS client of this container."""
    return cast("SQSClient", _session().create_client("sqs", config=_CONFIG))


def reset_clients() -> None:
    """Forget the cached clients (tests start a fresh moto backend per test)."""
    dynamodb.cache_clear()
    sqs.cache_clear()
    _session.cache_clear()
