"""Tracing is opt-in: off, the handler is left as it is and the X-Ray SDK is not imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lead_events.observability import traced
from tests.conftest import ROOT


def handler(event: dict, context: object) -> dict:
    return {"seen": event["n"]}


def test_with_tracing_off_the_handler_is_untouched_and_the_sdk_never_imported() -> None:
    code = (
        "import sys; from lead_events.observability import traced; f = lambda e, c: e; "
        "assert traced(f) is f; assert 'aws_xray_sdk' not in sys.modules, 'X-Ray SDK imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": "layers/shared", "LEAD_EVENTS_TRACING": "false", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_with_tracing_on_the_handler_is_captured_and_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_EVENTS_TRACING", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here
    wrapped = traced(handler)
    assert wrapped is not handler
    assert wrapped({"n": 3}, None) == {"seen": 3}
