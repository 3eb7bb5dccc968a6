"""Cold start per function: a fresh process's imports, client creation and first invocation.

Baselines in the same run: the floor (`import boto3` plus the clients the function uses, one call
each) and a typical Powertools handler (Logger, Metrics, Tracer, a validating resolver, a DynamoDB
Table and an SQS client). Budget: every function <= 0.6x the typical handler.
"""

from __future__ import annotations

import compileall
import json
import logging
import os
import subprocess
import sys
import sysconfig
from typing import Any

from bench.common import ROOT, aws_environment, free_port
from bench.run import QUICK, Report, median, sample

RUNS = 3 if QUICK else 15  # the ratio of two cold starts moves by +-0.1 run to run on a shared machine
FUNCTIONS = {  # function: (module and paths, clients it uses, sample event)
    "authorizer": ("app:functions/authorizer:layers/shared", "dynamodb", ("authorizer", "valid_key")),
    "config_api": ("app:functions/config_api:layers/shared", "dynamodb", ("config_api", "list_events")),
    "trigger_api": ("app:functions/trigger_api:layers/shared", "dynamodb", ("trigger_api", "create_lead")),
    "logs_api": ("app:functions/logs_api:layers/shared", "dynamodb", ("logs_api", "list_logs")),
    "dispatcher": ("app:functions/dispatcher:layers/shared", "dynamodb,sqs", None),
    "outbox": ("app:functions/outbox:layers/shared", "sqs", None),
    "api_docs": ("app:functions/api_docs:layers/shared", "", ("api_docs", "openapi_document")),
    "console": ("app:functions/console:layers/shared", "", ("console", "console_page")),
}
DISPATCH_EVENT = {
    "Records": [
        {
            "messageId": "m1",
            "receiptHandle": "r",
            "body": json.dumps({"org_id": "org-sample", "log_id": "none", "delivery_id": "none", "attempt": 1}),
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:lead-events-dev-postbacks",
            "awsRegion": "us-east-1",
        }
    ]
}


def _probe(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.coldstart_probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(report: Report) -> None:
    from lead_events.logic.credentials import hash_secret
    from lead_events.store.dynamo import to_item
    from local.atomic import AtomicMotoServer
    from local.conflicts import HOLD_VARIABLE
    from local.stack import create_resources
    from local.template import load_stack

    aws_environment()
    # One invocation at a time meets no transaction conflict; the emulator's hold of a transaction in
    # flight (local/conflicts.py) would only add its simulated 25 ms to the first trigger's invocation.
    os.environ[HOLD_VARIABLE] = "0"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = AtomicMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # any value, even "0", stops Python writing bytecode
    # Bytecode for site-packages (the install does not compile it) and the project's own modules:
    # every run measures imports, not a first compilation (a deployment can ship it the same way).
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1, workers=0)
    compileall.compile_dir(ROOT / "layers", quiet=1)
    compileall.compile_dir(ROOT / "functions", quiet=1)
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"]
    try:
        create_resources(load_stack(ROOT / "template.yaml"))
        import boto3

        key = "lek_org-sample_0000abcd_sample-secret-not-a-real-key"
        boto3.client("dynamodb").put_item(
            TableName="lead-events-dev-config",
            Item=to_item(
                {"pk": "ORG#org-sample", "sk": "APIKEY#0000abcd", "key_id": "0000abcd", "key_hash": hash_secret(key)}
            ),
        )
        typical_event = sample("config_api", "list_events") | {"rawPath": "/items"}
        typical_event["requestContext"]["http"]["path"] = "/items"
        # Rounds, each measuring the typical handler right before each function, so that a change of load on
        # a shared machine moves both sides of a ratio; the ratio reported is the median of the pairs'.
        typical_args = ("typical", "", json.dumps(typical_event))
        typicals: list[dict[str, Any]] = []
        results: dict[str, list[tuple[dict[str, Any], dict[str, Any], float]]] = {name: [] for name in FUNCTIONS}
        for _ in range(RUNS):
            for name, (module, clients, event_ref) in FUNCTIONS.items():
                event: dict[str, Any] = DISPATCH_EVENT if event_ref is None else sample(*event_ref)
                typical = _probe(env, *typical_args)
                measured = _probe(env, "function", module, json.dumps(event))
                floor = _probe(env, "floor", clients)
                assert measured["status"] in (None, 200, 201, 409), (name, measured)  # reached its route
                assert typical["status"] == 200, typical
                typicals.append(typical)
                results[name].append((measured, floor, measured["total_ms"] / typical["total_ms"]))
        rows: list[list[Any]] = [
            [
                "typical Powertools handler",
                f"{median([t['total_ms'] for t in typicals]):.0f}",
                "1.00",
                "",
                f"{median([t['peak_rss_mb'] for t in typicals]):.0f}",
            ]
        ]
        worst = 0.0
        for name, runs in results.items():
            ratio = median([r for _, _, r in runs])
            worst = max(worst, ratio)
            rows.append(
                [
                    name,
                    f"{median([m['total_ms'] for m, _, _ in runs]):.0f} "
                    f"(init {median([m['init_ms'] for m, _, _ in runs]):.0f})",
                    f"{ratio:.2f}",
                    f"{median([f['total_ms'] for _, f, _ in runs]):.0f}",
                    f"{median([m['peak_rss_mb'] for m, _, _ in runs]):.0f}",
                ]
            )
        report.table(
            "Cold start",
            f"A fresh process: imports, clients, first invocation; medians of {RUNS} rounds, the ratio the median "
            "of each run over the typical handler's run just before it. Budget: every function "
            f"<= 0.6x the typical handler — worst here {worst:.2f}x: {'met' if worst <= 0.6 else 'NOT met'}. "
            "The emulator holds no transaction here (one invocation at a time meets no conflict).",
            ["function", "cold start ms", "x typical", "floor ms (boto3 + its clients)", "peak RSS MB"],
            rows,
        )
    finally:
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.pop(HOLD_VARIABLE, None)
        server.stop()
