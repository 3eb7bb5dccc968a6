"""The local stack (`python -m local`, what `make local` runs) started for real, on free ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    api_url: str
    api_key: str
    postback_url: str
    aws_endpoint_url: str
    config_table: str
    dev_json: Path
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        """What the stack printed so far."""
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, *, key: str | None = "default", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.api_key if key == 'default' else key}"
        return requests.request(method, self.api_url + path, headers=headers, timeout=30, **kwargs)


def start_local_stack(tmp_path: Path, extra_env: dict[str, str] | None = None) -> LocalStack:
    dev_json = tmp_path / "dev.json"
    env = {
        **os.environ,
        "LOCAL_API_PORT": str(free_port()),
        "LOCAL_AWS_PORT": str(free_port()),
        "LOCAL_DEV_JSON": str(dev_json),
        **(extra_env or {}),
    }
    # A file, not a pipe: nothing reads a pipe while the tests run, and once its buffer is full every
    # thread of the stack that logs blocks (a long schemathesis run logs that much).
    log = tmp_path / "local.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    deadline = time.monotonic() + 60
    while not dev_json.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not come up:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return LocalStack(**json.loads(dev_json.read_text()), dev_json=dev_json, process=process, log=log)


def stop_local_stack(stack: LocalStack) -> int:
    stack.process.send_signal(signal.SIGTERM)
    try:
        return stack.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Retries a second apart, so a test can watch a whole retry sequence.
    stack = start_local_stack(tmp_path_factory.mktemp("local"), {"POSTBACK_RETRY_SCHEDULE": "1,1,1"})
    yield stack
    stop_local_stack(stack)
