"""template.yaml: lint-clean, valid for SAM, and in agreement with the code it deploys."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.gateway import Gateway
from local.template import load_stack, read_template
from tests.conftest import ROOT, cfn_lint_decode, template_stack


def _load(module_file: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_template_test_{module_file.parent.name}", module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _routes_served_by(module_file: Path) -> set[tuple[str, str]]:
    module = _load(module_file)
    if not hasattr(module, "app"):  # the console serves static files without a resolver
        return set(module.ROUTES)
    app = module.app
    return {(route.method, route.openapi_path) for route in app._static_routes + app._dynamic_routes}


def test_the_local_stack_reads_the_template_as_cfn_lint_decodes_it() -> None:
    template, matches = cfn_lint_decode(ROOT / "template.yaml")
    assert not matches
    assert read_template(ROOT / "template.yaml") == template


def test_every_function_uses_the_python313_runtime_and_the_shared_layer() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Layers"] == [{"Ref": "SharedLayer"}]
    layer = template["Resources"]["SharedLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    # BuildMethod installs the package under python/ itself; a python/ folder of our own would nest twice.
    assert not (ROOT / layer["Properties"]["ContentUri"] / "python").exists()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "Runtime" not in resource["Properties"] or resource["Properties"]["Runtime"] == "python3.13"


def test_every_handler_in_the_template_exists() -> None:
    stack = template_stack()
    assert stack.functions
    for function in stack.functions.values():
        # Read, not imported (importing a handler builds its clients): defined, or built by http_handler.
        source = function.module_file.read_text()
        name = function.handler_attr
        assert f"def {name}(" in source or f"\n{name} = http_handler(app)\n" in source, function.logical_id


def test_every_template_route_is_served_by_its_function_and_every_served_route_is_in_the_template() -> None:
    stack = template_stack()
    for logical_id, function in stack.functions.items():
        declared = {(r.method, r.path) for r in stack.routes if r.function == logical_id}
        if not declared:
            continue
        if logical_id == "DocsFunction":  # static files, no resolver: each declared route answers
            handler = _load(function.module_file).lambda_handler
            for method, path in declared:
                assert (
                    handler({"rawPath": path, "requestContext": {"http": {"method": method}}}, None)["statusCode"]
                    == 200
                )
            continue
        assert declared == _routes_served_by(function.module_file), logical_id


def test_public_routes_are_only_the_documentation_the_inbound_postback_url_and_the_console() -> None:
    stack = template_stack()
    public = {(r.method, r.path) for r in stack.routes if r.authorizer is None}
    assert public == {
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/postback/{token}"),
        ("POST", "/postback/{token}"),
        ("GET", "/console"),
        ("GET", "/console/{proxy+}"),
        ("GET", "/favicon.ico"),
    }


class _Recorder:
    """A function pool that runs nothing: it keeps the event API Gateway would send the function."""

    def __init__(self, name: str, seen: list[tuple[str, dict[str, Any]]]) -> None:
        self.name, self.seen = name, seen

    def invoke(self, event: dict[str, Any], limit: float | None = None) -> Any:
        self.seen.append((self.name, event))
        return {"statusCode": 200, "body": ""}


def test_the_console_routes_take_the_page_with_and_without_the_slash_its_files_and_the_icon_at_the_root() -> None:
    # Given the template's routes, matched as API Gateway matches them (a trailing slash still
    # matches a route: an HTTP API route cannot end in one)
    stack = template_stack()
    seen: list[tuple[str, dict[str, Any]]] = []
    gateway = Gateway(stack, {name: _Recorder(name, seen) for name in stack.functions})
    console = _load(stack.functions["ConsoleFunction"].module_file).lambda_handler
    for path, body_part in [
        ("/console", "<title>lead-events console</title>"),
        ("/console/", "<title>lead-events console</title>"),
        ("/console/app.js", "import"),
        ("/favicon.ico", ""),
    ]:
        # When a browser asks for the path
        seen.clear()
        answer = gateway.handle(Request(EnvironBuilder(path=path, method="GET").get_environ()))
        # Then the console function gets it, and answers it with the page, the file or the icon
        assert answer.status_code == 200, path
        [(function, event)] = seen
        assert function == "ConsoleFunction", path
        assert event["rawPath"] == path
        served = console(event, None)
        assert served["statusCode"] == 200, path
        assert body_part in served["body"], path
    assert served["headers"]["Content-Type"] == "image/x-icon" and served["isBase64Encoded"] is True


def test_the_postback_queue_redrives_to_a_dead_letter_queue_and_outlasts_the_dispatcher() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    resources = template["Resources"]
    queue = resources["PostbackQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PostbackDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    dispatcher = resources["DispatcherFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * dispatcher["Timeout"]
    [source] = dispatcher["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_tables_are_encrypted_and_recoverable() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables
    for table in tables:
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"


def test_alarms_watch_the_dead_letter_queue_the_dispatchers_errors_and_the_outbox() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    alarms = [
        (r["Properties"]["Namespace"], r["Properties"]["MetricName"], r["Properties"]["Dimensions"][0]["Value"])
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert sorted(alarms, key=str) == sorted(
        [
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["PostbackDeadLetterQueue", "QueueName"]}),
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["OutboxFailureQueue", "QueueName"]}),
            ("AWS/Lambda", "Errors", {"Ref": "DispatcherFunction"}),
            ("AWS/Lambda", "IteratorAge", {"Ref": "OutboxFunction"}),
        ],
        key=str,
    )


def test_the_outbox_relays_the_logs_tables_stream_until_each_record_is_relayed() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    resources = template["Resources"]
    assert resources["LogsTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    [source] = resources["OutboxFunction"]["Properties"]["Events"].values()
    props = source["Properties"]
    assert source["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": ["LogsTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert (props["MaximumRetryAttempts"], props["MaximumRecordAgeInSeconds"]) == (-1, -1)
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["OutboxFailureQueue", "Arn"]}
    # The filter names the attribute the store writes work into.
    from lead_events.store.entry_items import OUTBOX

    [pattern] = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"NewImage": {OUTBOX: {"S": [{"exists": True}]}}}}


def test_only_the_outbox_and_the_dispatcher_send_to_the_postback_queue() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    senders = {
        name
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::Serverless::Function" and "sqs:SendMessage" in json.dumps(r["Properties"].get("Policies"))
    }
    assert senders == {"OutboxFunction", "DispatcherFunction"}


def test_every_function_has_a_log_group_with_retention() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    resources = template["Resources"]
    functions = {name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    retained = {
        r["Properties"]["LogGroupName"]["Fn::Sub"].split("${")[1].rstrip("}")
        for r in resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
        and "RetentionInDays" in r["Properties"]
        and "/aws/lambda/" in str(r["Properties"]["LogGroupName"])
    }
    assert functions == retained


def test_the_longest_request_allowed_fits_in_the_dispatcher_and_in_send_test() -> None:
    from lead_events.logic.dispatch import RECORD_SECONDS

    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    longest = template["Parameters"]["PostbackRequestTimeout"]["MaxValue"]
    resources = template["Resources"]
    # The dispatcher starts a request only while it has the request's bound and its record left.
    assert resources["DispatcherFunction"]["Properties"]["Timeout"] >= longest + RECORD_SECONDS + 5
    # Send Test answers (API Gateway's integration limit is 30 s) with time to render and reply.
    assert longest + 2 <= resources["ConfigApiFunction"]["Properties"]["Timeout"] <= 29


def test_the_dispatcher_reserves_its_concurrency_and_its_queue_never_invokes_it_past_that() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    parameter = template["Parameters"]["DispatcherConcurrency"]
    assert parameter["MinValue"] == 0  # 0: no reservation (an account whose quota leaves no room for one)
    assert 2 <= parameter["Default"] <= parameter["MaxValue"] <= 1000  # MaximumConcurrency's own range

    stack = template_stack()
    [source] = [s for s in stack.queue_sources if s.function == "DispatcherFunction"]
    # An SQS event source invoking past the reservation would be throttled, its batch back in the queue.
    assert stack.functions["DispatcherFunction"].reserved_concurrency == source.max_concurrency == parameter["Default"]
    assert {name for name, f in stack.functions.items() if f.reserved_concurrency} == {"DispatcherFunction"}

    unreserved = load_stack(ROOT / "template.yaml", {"DispatcherConcurrency": 0})
    assert unreserved.functions["DispatcherFunction"].reserved_concurrency is None
    assert [s.max_concurrency for s in unreserved.queue_sources] == [None]


def test_every_checkov_skip_names_one_check_and_gives_its_reason() -> None:
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert set(skip) == {"id", "comment"}, name
        assert re.fullmatch(r"CKV_AWS_\d+", skip["id"]), name
        assert len(skip["comment"].split()) >= 8, (name, skip)  # a reason, not a label
    assert len({(name, skip["id"]) for name, skip in skips}) == len(skips)  # no check skipped twice
