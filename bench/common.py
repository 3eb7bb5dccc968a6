"""Shared set-up for the benchmarks: moto in-process with the template's resources."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def aws_environment() -> None:
    from local.template import load_stack

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION="us-east-1",
        POSTBACK_ALLOWED_NETWORKS="127.0.0.0/8",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    for function in load_stack(ROOT / "template.yaml").functions.values():
        for name, value in function.environment.items():
            os.environ.setdefault(name, value)
    os.environ["POSTBACK_ALLOWED_NETWORKS"] = "127.0.0.0/8"


@contextmanager
def preserved_environment() -> Iterator[None]:
    """Put os.environ back as it was (aws_environment() and the local stack change it)."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def moto_with_resources() -> Iterator[None]:
    from lead_events.wiring import reset_stores
    from local.atomic import serialize_in_process_dynamodb
    from local.moto_index import index_moto_queries
    from local.stack import create_resources
    from local.template import load_stack

    aws_environment()
    serialize_in_process_dynamodb()
    index_moto_queries()
    with mock_aws():
        reset_stores()
        create_resources(load_stack(ROOT / "template.yaml"))
        yield
    reset_stores()


class CallCounter:
    """Counts AWS operations through botocore's event hooks."""

    def __init__(self, *clients: object) -> None:
        self.calls: list[str] = []
        for client in clients:
            client.meta.events.register("before-call.*.*", self._count)  # type: ignore[attr-defined]

    def _count(self, model: object, **_: object) -> None:
        self.calls.append(f"{model.service_model.service_name}:{model.name}")  # type: ignore[attr-defined]

    def reset(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls
