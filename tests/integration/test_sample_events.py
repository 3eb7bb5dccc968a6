"""Every sample event in events/ (the ones `sam local invoke -e` takes) runs through its function."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from local.template import load_stack
from tests.conftest import EVENTS_DIR, ROOT, lambda_context

STACK = load_stack(ROOT / "template.yaml")
FUNCTIONS = {f.module_file.parent.name: f for f in STACK.functions.values()}
SAMPLES = sorted(EVENTS_DIR.glob("*/*.json"))


def _handler(function_dir: str) -> Any:
    function = FUNCTIONS[function_dir]
    spec = importlib.util.spec_from_file_location(f"_sample_{function_dir}", function.module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function.handler_attr)


def test_every_function_has_sample_events() -> None:
    assert {path.parent.name for path in SAMPLES} == set(FUNCTIONS)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_sample_event_is_handled_without_a_server_error(aws: None, path: Path) -> None:
    handler = _handler(path.parent.name)
    event = json.loads(path.read_text())
    if path.parent.name == "authorizer":  # no key is stored here: the authorizer refuses as API Gateway expects
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            handler(event, lambda_context())
        return
    answer = handler(event, lambda_context())
    if "statusCode" in answer:
        assert answer["statusCode"] < 500, answer
    elif "batchItemFailures" in answer:
        assert answer["batchItemFailures"] == []
    else:
        assert "isAuthorized" in answer
