from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import http_event, lambda_context

Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def call_config_api(aws: None) -> Call:
    """Invoke the config API handler like API Gateway would; returns (status, parsed body)."""
    from config_api.app import lambda_handler

    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        answer = lambda_handler(http_event(method, path, **kwargs), lambda_context())
        body = answer.get("body")
        return answer["statusCode"], json.loads(body) if body else None

    return call
