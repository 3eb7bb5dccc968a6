"""Loading a handler (lead_events/coldstart.py): the collector is paused and runs again afterwards, and
the packages whose __init__ loads far more than the handlers use are loaded name by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
HTTP_HANDLERS = ["config_api", "logs_api", "trigger_api"]
# Loaded by the deferred packages' __init__ for resolvers and events the HTTP handlers do not use.
UNUSED = [
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
    "aws_lambda_powertools.utilities.data_classes.kinesis_firehose_event",
]


def _python(code: str, function: str | None = None) -> str:
    paths = [*([ROOT / "functions" / function] if function else []), ROOT / "layers" / "shared"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("function", HANDLERS)
def test_after_a_handler_loads_the_garbage_collector_runs(function: str) -> None:
    _python("import gc, app; assert gc.isenabled(), 'gc left disabled'; assert callable(app.lambda_handler)", function)


@pytest.mark.parametrize("function", HTTP_HANDLERS)
def test_an_http_handler_loads_without_the_resolvers_and_events_it_does_not_use(function: str) -> None:
    loaded = json.loads(
        _python(f"import app, json, sys; print(json.dumps([m for m in {UNUSED!r} if m in sys.modules]))", function)
    )
    assert loaded == []


def _exports(*args: str) -> dict[str, dict[str, str]]:
    run = subprocess.run(
        [sys.executable, "-m", "tests.integration.package_exports", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "shared")])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_deferred_package_gives_each_name_its_init_exports_and_the_same_object() -> None:
    expected = _exports("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")
    assert all(len(names) > 10 for names in expected.values())
    names = {package: list(described) for package, described in expected.items()}
    assert _exports("--deferred", json.dumps(names)) == expected


def test_a_deferred_package_runs_its_init_only_for_what_it_cannot_find_otherwise() -> None:
    code = (
        "from lead_events import coldstart\ncoldstart.begin()\nimport sys\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types\n"
        "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver as direct\n"
        "assert APIGatewayHttpResolver is direct and content_types.APPLICATION_JSON\n"
        "assert 'asyncio' not in sys.modules, 'the whole __init__ ran'\n"
        "try:\n    from aws_lambda_powertools.event_handler import NoSuchName\nexcept ImportError:\n    pass\n"
        "else:\n    raise AssertionError('a missing name was found')\n"
        "assert 'asyncio' in sys.modules, 'looking for a name found nowhere else did not run the __init__'\n"
        "import aws_lambda_powertools.event_handler as package\n"
        "assert 'AppSyncResolver' in dir(package) and set(package.__all__) <= set(dir(package))\n"
    )
    _python(code)


def test_deferring_a_package_already_loaded_keeps_the_loaded_one() -> None:
    code = (
        "import sys, aws_lambda_powertools.event_handler as real\n"
        "from lead_events import coldstart\ncoldstart.begin()\n"
        "assert sys.modules['aws_lambda_powertools.event_handler'] is real and 'asyncio' in sys.modules\n"
    )
    _python(code)
