"""Run in a fresh process: time one function's init + first invocation, or a baseline's, and peak RSS.

Usage: python -m bench.coldstart_probe <kind> <arg>   (kind: function | floor | typical)
Prints one JSON line: {"init_ms", "first_ms", "total_ms", "peak_rss_mb", "status"} (status: the
first invocation's HTTP status, if it answers one).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

T0 = time.perf_counter()
CPU0 = time.process_time()


def _rss_mb() -> float:
    # VmHWM, not ru_maxrss: a child's ru_maxrss keeps the peak of the parent it was forked from.
    for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def main() -> None:
    status = None
    kind, arg = sys.argv[1], sys.argv[2]
    event = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    if kind == "floor":
        import boto3

        clients = [boto3.client(name) for name in arg.split(",") if name]
        init = time.perf_counter()
        for client in clients:  # one cheap call each, like a first invocation's
            if client.meta.service_model.service_name == "dynamodb":
                client.describe_limits()
            else:
                client.list_queues()
    elif kind == "typical":
        # The SAM Powertools starter (`sam init`, Hello World with Powertools): Logger, Metrics and Tracer,
        # its decorators on the handler and the route, here with a validating resolver, a DynamoDB Table
        # resource and an SQS client, all at import time.
        import boto3
        from aws_lambda_powertools import Logger, Metrics, Tracer
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
        from aws_lambda_powertools.logging import correlation_paths
        from aws_lambda_powertools.metrics import MetricUnit

        app = APIGatewayHttpResolver(enable_validation=True)
        tracer, logger, metrics = Tracer(), Logger(), Metrics(namespace="bench")
        table = boto3.resource("dynamodb").Table("lead-events-dev-config")
        sqs = boto3.client("sqs")

        @app.get("/items")
        @tracer.capture_method
        def items() -> dict:
            metrics.add_metric(name="ItemsInvocations", unit=MetricUnit.Count, value=1)
            logger.info("Items API - HTTP 200")
            return {"count": table.item_count, "queues": len(sqs.list_queues().get("QueueUrls", []))}

        @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
        @tracer.capture_lambda_handler
        @metrics.log_metrics(capture_cold_start_metric=True)
        def handler(event: dict, context: Any) -> dict:
            return app.resolve(event, context)

        init = time.perf_counter()
        answer = handler(event, _Context())
        status = answer.get("statusCode")
    else:
        import importlib

        sys.path[:0] = arg.split(":")[1:]
        module = importlib.import_module(arg.split(":")[0])
        init = time.perf_counter()
        answer = module.lambda_handler(event, _Context())
        status = answer.get("statusCode") if isinstance(answer, dict) else None
    end = time.perf_counter()
    cpu = time.process_time() - CPU0
    print(
        json.dumps(
            {
                "init_ms": (init - T0) * 1000,
                "first_ms": (end - init) * 1000,
                "total_ms": (end - T0) * 1000,
                "cpu_ms": cpu * 1000,
                "peak_rss_mb": _rss_mb(),
                "status": status,
            }
        )
    )


if __name__ == "__main__":
    main()
