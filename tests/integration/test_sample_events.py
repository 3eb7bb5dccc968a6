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


# On an empty organization: what each sample is answered (the ones that name a stored thing find none).
EXPECTED = {
    "api_docs/docs_page": 200,
    "api_docs/openapi_document": 200,
    "config_api/create_event": 201,
    "config_api/delete_event": 404,
    "config_api/get_event": 404,
    "config_api/list_events": 200,
    "config_api/update_event": 404,
    "console/console_asset": 200,
    "console/console_page": 200,
    "console/favicon": 200,
    "logs_api/conversion_report": 200,
    "logs_api/get_log": 404,
    "logs_api/list_logs": 200,
    "trigger_api/create_lead": 201,
    "trigger_api/get_lead": 404,
    "trigger_api/inbound_postback": 404,  # no organization has its token
    "trigger_api/manual_trigger": 404,
    "trigger_api/trigger_event": 404,
}


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
def test_each_sample_event_is_answered_as_it_should_be_on_an_empty_organization(aws: None, path: Path) -> None:
    handler = _handler(path.parent.name)
    event = json.loads(path.read_text())
    if path.parent.name == "authorizer":  # no key is stored here: the authorizer refuses as API Gateway expects
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            handler(event, lambda_context())
        return
    answer = handler(event, lambda_context())
    if "statusCode" in answer:
        assert answer["statusCode"] == EXPECTED[f"{path.parent.name}/{path.stem}"], answer
    elif "batchItemFailures" in answer:
        assert answer["batchItemFailures"] == []
    else:
        assert "isAuthorized" in answer
