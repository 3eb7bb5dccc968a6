"""AWS clients, created on first use and reused for the life of the container.

botocore directly, not boto3: `import boto3` also imports s3transfer (and multiprocessing through it),
a good part of every cold start, for nothing the functions use. The clients are the same objects
boto3 would return; AWS_ENDPOINT_URL, the region and credentials come from the environment as usual.
"""

from __future__ import annotations

import os
import random
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import botocore
from botocore import handlers
from botocore.config import Config
from botocore.hooks import BaseEventHooks
from botocore.loaders import Loader
from botocore.session import Session

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

# No client-side check of each request against the service model: the service checks it anyway, and
# walking a transaction of 20 items' nested maps costs the dispatcher milliseconds a batch.
# As many pooled connections as the dispatcher has delivery threads (http/client.py POOL_SIZE), each of
# which makes its own DynamoDB calls: botocore's default of 10 would open and drop connections.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    parameter_validation=False,
    max_pool_connections=20,
)


SERVICES = ("dynamodb", "sqs")
# botocore's endpoints and the SERVICES' models, trimmed (lead_events/trim_botocore_data.py: `make botocore-data`).
TRIMMED_DATA = Path(__file__).resolve().parent / "botocore_data"
VERSION_FILE = "botocore-version"  # in TRIMMED_DATA: the botocore version the copy was made from


class _ProjectLoader(Loader):
    """botocore's data loader, knowing that only SERVICES are asked for.

    Before loading a model, botocore lists every service it has data for (hundreds of directory reads and
    thousands of file checks in each cold start) to say "unknown service" for a typo; here only
    SERVICES are looked for. And the trimmed copy of the endpoints and models is found before
    botocore's own (much less to parse), when it was made from the installed botocore version;
    it counts as botocore's own data, as the full files would.
    """

    def __init__(self, extra_search_paths: list[str]) -> None:
        self._trimmed = str(TRIMMED_DATA) if _trimmed_data_is_current() else None
        # botocore's order (AWS_DATA_PATH, ~/.aws/models, its own data), the copy right before its own.
        paths = [*extra_search_paths, self.CUSTOMER_DATA_PATH, *filter(None, [self._trimmed]), self.BUILTIN_DATA_PATH]
        super().__init__(extra_search_paths=paths, include_default_search_paths=False)

    def list_available_services(self, type_name: str) -> list[str]:
        return [name for name in SERVICES if self.list_api_versions(name, type_name)]

    def is_builtin_path(self, path: str) -> bool:
        # botocore hands the endpoint rules the legacy endpoint when endpoints.json is not its own.
        trimmed = self._trimmed is not None and os.path.commonpath([self._trimmed, path]) == self._trimmed
        return trimmed or super().is_builtin_path(path)


def _trimmed_data_is_current() -> bool:
    try:
        return (TRIMMED_DATA / VERSION_FILE).read_text().strip() == botocore.__version__
    except OSError:
        return False


def _concerns_services(event_name: str) -> bool:
    """Whether a handler botocore registers on every session can run for a client of SERVICES.

    Event names are `<event>[.<service id>[.<operation>]]`; `docs.*` ones only write documentation.
    """
    parts = event_name.split(".")
    return parts[0] != "docs" and (len(parts) < 2 or parts[1] in ("*", *SERVICES))


class _ProjectSession(Session):
    """botocore's session, registering only the built-in handlers that concern SERVICES.

    A session registers over a hundred built-in handlers, most of them for S3, EC2, RDS and the like; each
    registration resolves the event's aliases and inspects the handler's signature, in every
    cold start. The ones left out could never be called by these clients.
    """

    def _register_builtin_handlers(self, events: BaseEventHooks) -> None:
        for spec in handlers.BUILTIN_HANDLERS:
            if not _concerns_services(spec[0]):
                continue
            if len(spec) == 2:
                self.register(*spec)
            elif spec[2] is handlers.REGISTER_FIRST:
                events.register_first(spec[0], spec[1])
            elif spec[2] is handlers.REGISTER_LAST:
                events.register_last(spec[0], spec[1])


@cache
def _session() -> Session:
    session = _ProjectSession()
    data_path = session.get_config_variable("data_path")  # AWS_DATA_PATH, as botocore's own loader reads it
    extra = [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)] if data_path else []
    session.register_component("data_loader", _ProjectLoader(extra_search_paths=extra))
    return session


# A request meeting a transaction in flight on its item is refused; DynamoDB's guidance is to try it
# again after a jittered, growing pause, and botocore does not (local/conflicts.py has the rules).
CONFLICT_ATTEMPTS = 8


def conflict_pause(attempt: int) -> float:
    """The pause before trying again a request refused for a conflict on its `attempt`-th try (1, 2, ...)."""
    return random.uniform(0, min(0.005 * 2**attempt, 0.2))


def _retry_conflicts(attempts: int, response: Any = None, **_: Any) -> float | None:
    """botocore's needs-retry hook for single writes: a TransactionConflictException is tried again."""
    if response is None or attempts >= CONFLICT_ATTEMPTS:
        return None
    if response[1].get("Error", {}).get("Code") != "TransactionConflictException":
        return None  # botocore's own retry rules decide
    return conflict_pause(attempts)


@cache
def dynamodb() -> DynamoDBClient:
    """The DynamoDB client of this container (single writes refused for a conflict are tried again)."""
    client = _session().create_client("dynamodb", config=_CONFIG)
    for operation in ("PutItem", "UpdateItem", "DeleteItem"):
        client.meta.events.register_first(f"needs-retry.dynamodb.{operation}", _retry_conflicts)  # type: ignore[arg-type]
    return cast("DynamoDBClient", client)


@cache
def sqs() -> SQSClient:
    """The SQS client of this container."""
    return cast("SQSClient", _session().create_client("sqs", config=_CONFIG))


def reset_clients(*, session: bool = False) -> None:
    """Forget the cached clients (tests start a fresh moto backend per test), and with `session` the
    session too. The session holds botocore's parsed data and handlers, nothing of a backend; the
    environment (endpoint, region) is read again by each client made."""
    dynamodb.cache_clear()
    sqs.cache_clear()
    if session:
        _session.cache_clear()
