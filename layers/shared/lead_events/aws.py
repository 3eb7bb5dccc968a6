"""AWS clients, created on first use and reused for the life of the container.

botocore directly, not boto3: `import boto3` also imports s3transfer (and multiprocessing through it),
about 160 ms of every cold start for nothing the functions use. The clients are the same objects
boto3 would return; AWS_ENDPOINT_URL, the region and credentials come from the environment as usual.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, cast

from botocore.config import Config
from botocore.loaders import Loader
from botocore.session import Session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

# No client-side check of each request against the service model: the service checks it anyway, and
# walking a transaction of 20 items' nested maps costs the dispatcher milliseconds a batch.
_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}, parameter_validation=False
)


SERVICES = ("dynamodb", "sqs")


class _ProjectLoader(Loader):
    """botocore's data loader, knowing that only SERVICES are asked for.

    Before loading a model, botocore lists every service it has data for (~900 directory reads and
    ~2,700 file checks, ~30 ms of each cold start) to say "unknown service" for a typo; here only
    SERVICES are looked for. Models are found and loaded exactly as botocore does.
    """

    def list_available_services(self, type_name: str) -> list[str]:
        return [name for name in SERVICES if self.list_api_versions(name, type_name)]


@cache
def _session() -> Session:
    session = Session()
    data_path = session.get_config_variable("data_path")  # AWS_DATA_PATH, as botocore's own loader reads it
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else []
    session.register_component("data_loader", _ProjectLoader(extra_search_paths=extra))
    return session


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
