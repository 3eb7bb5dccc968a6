"""`make local`: the whole system on one machine, no Docker and no AWS account.

moto's server is the embedded AWS; the template's tables are created from template.yaml; the HTTP
API is served on 127.0.0.1:LOCAL_API_PORT (3000) by the local gateway, with the local inbox (a
receiver for postbacks, local/inbox.py) under /_inbox on the same port; the template's SQS and
DynamoDB stream event sources are polled as Lambda polls them; a development organization is seeded
and `.local/dev.json` written once everything answers.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import make_server

from local import moto_streams
from local.atomic import AtomicMotoServer
from local.gateway import Gateway
from local.inbox import PREFIX as INBOX_PATH
from local.inbox import Inbox
from local.lambdas import FunctionPool
from local.moto_index import index_moto_queries
from local.sqs import QueuePoller
from local.streams import StreamPoller
from local.template import REGION, Stack, load_stack

ROOT = Path(__file__).resolve().parent.parent
DEV_JSON = Path(os.environ.get("LOCAL_DEV_JSON", ROOT / ".local" / "dev.json")).resolve()


def function_environments(stack: Stack, aws_url: str) -> dict[str, dict[str, str]]:
    """Each function's variables as the local stack gave them, in `sam local invoke --env-vars` format.

    Call it after prepare_environment. Only the variables the template declares for the function
    (SAM sets no other), AWS_ENDPOINT_URL among them: the embedded AWS at 127.0.0.1, which a
    container reaches with `sam local invoke --docker-network host`.
    """
    return {
        logical_id: {name: os.environ[name] for name in function.environment} | {"AWS_ENDPOINT_URL": aws_url}
        for logical_id, function in stack.functions.items()
    }


def write_whole(path: Path, data: Any) -> None:
    """Written whole, then renamed into place: whoever waits for the file never reads half of it."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def prepare_environment(stack: Stack, aws_url: str, api_url: str) -> None:
    """Point every AWS client at moto and give the handlers the template's variables.

    Variables already set in the caller's environment win, so `POSTBACK_RETRY_SCHEDULE=... make local`
    reaches the handlers.
    """
    os.environ.update(
        AWS_ENDPOINT_URL=aws_url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.setdefault("PUBLIC_API_URL", api_url)
    os.environ.setdefault("POSTBACK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
    for function in stack.functions.values():
        for name, value in function.environment.items():
            os.environ.setdefault(name, value)
    for layer_dir in stack.layer_dirs:
        if str(layer_dir) not in sys.path:
            sys.path.insert(0, str(layer_dir))


def create_resources(stack: Stack) -> None:
    """Create the template's tables and queues in the emulator."""
    dynamodb = boto3.client("dynamodb")
    for kwargs in stack.tables.values():
        table = dict(kwargs)
        ttl = table.pop("_ttl", None)
        dynamodb.create_table(**table)
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=table["TableName"], TimeToLiveSpecification=ttl)
    sqs = boto3.client("sqs")
    # Queues first, redrive policies after: a policy names its dead-letter queue, which must exist.
    for queue in stack.queues.values():
        attributes = {k: v for k, v in queue["Attributes"].items() if k != "RedrivePolicy"}
        sqs.create_queue(QueueName=queue["QueueName"], Attributes=attributes)
    for queue in stack.queues.values():
        if "RedrivePolicy" in queue["Attributes"]:
            url = sqs.get_queue_url(QueueName=queue["QueueName"])["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": queue["Attributes"]["RedrivePolicy"]})


def start_stream_pollers(
    stack: Stack, pools: dict[str, FunctionPool], stopping: threading.Event
) -> list[threading.Thread]:
    """One thread per enabled DynamoDB event source of the template, reading its table's stream.

    Call it once the tables exist and before anything writes to them: a LATEST source starts at the
    end of the stream as it is when its poller is made, as a mapping made at deployment would. One
    thread, not several: a shard's records go to the function one batch at a time, in order.
    """
    threads = []
    for source in stack.stream_sources:
        if not source.enabled:
            continue
        poller = StreamPoller(stack, source, pools[source.function], stopping)
        thread = threading.Thread(target=poller.run, name=f"stream-{source.function}-{source.table}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def seed_organization(api_url: str) -> dict[str, Any]:
    from lead_events.logic.orgs import create_organization
    from lead_events.wiring import org_store

    return create_organization(org_store(), "Local development", api_url).model_dump()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    api_port = int(os.environ.get("LOCAL_API_PORT", "3000"))
    aws_port = int(os.environ.get("LOCAL_AWS_PORT", "4566"))
    api_url, aws_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}"

    stack = load_stack(ROOT / "template.yaml", sqs_endpoint=aws_url)
    prepare_environment(stack, aws_url, api_url)
    pools = {logical_id: FunctionPool(function) for logical_id, function in stack.functions.items()}

    index_moto_queries()  # the server's backends live in this process: Queries read pages, not tables
    moto = AtomicMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    try:
        api_server = make_server("127.0.0.1", api_port, Inbox().wrap(Gateway(stack, pools)), threaded=True)
    except OSError as exc:
        print(f"Cannot listen on {api_url}: {exc}. Set LOCAL_API_PORT to a free port.", file=sys.stderr)
        return 1
    try:
        moto.start()
    except OSError as exc:
        print(f"Cannot listen on {aws_url}: {exc}. Set LOCAL_AWS_PORT to a free port.", file=sys.stderr)
        return 1
    create_resources(stack)
    stopping = threading.Event()
    stream_threads = start_stream_pollers(stack, pools, stopping)
    org = seed_organization(api_url)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    api_thread = threading.Thread(target=api_server.serve_forever, name="local-api", daemon=True)
    api_thread.start()
    queue_pollers = []
    for source in stack.queue_sources:
        poller = QueuePoller(stack, source, pools[source.function], stopping)
        queue_pollers.append(poller)
        pollers_wanted = int(os.environ.get("LOCAL_SQS_POLLERS", "2"))  # never more than MaximumConcurrency
        for n in range(min(pollers_wanted, source.max_concurrency or pollers_wanted)):
            thread = threading.Thread(target=poller.run, name=f"sqs-{source.function}-{n}", daemon=True)
            thread.start()

    DEV_JSON.parent.mkdir(parents=True, exist_ok=True)
    env_json = DEV_JSON.with_name("env.json")
    write_whole(env_json, function_environments(stack, aws_url))  # before dev.json, which says all is ready
    inbox_url = api_url + INBOX_PATH
    dev = {
        "api_url": api_url,
        "api_key": org["api_key"],
        "postback_url": org["postback_url"],
        "aws_endpoint_url": aws_url,
        "config_table": os.environ["CONFIG_TABLE"],  # what the handlers use; `make org` reads it here
        "inbox_url": inbox_url,
        "env_vars_file": str(env_json),  # each function's environment (`make invoke`, `sam local invoke`)
    }
    write_whole(DEV_JSON, dev)
    print(
        f"lead-events is running locally.\n"
        f"  API            {api_url}   (docs: {api_url}/docs)\n"
        f"  API key        {org['api_key']}\n"
        f"  Postback URL   {org['postback_url']}\n"
        f"  Inbox          {inbox_url}/<anything>   (a receiver for postbacks to try: see what it got\n"
        f"                 in the console's Inbox page, {api_url}/console#/inbox, or GET {inbox_url})\n"
        f"  Embedded AWS   {aws_url}\n"
        f"  Invoke one     make invoke FUNCTION=<logical id> EVENT=events/<function>/<sample>.json\n"
        f"  Details in {DEV_JSON}. Ctrl-C stops.",
        flush=True,
    )
    try:
        # Timed waits: the main thread, where Python runs the SIGTERM/SIGINT handler, comes back to the
        # interpreter every second whatever an untimed lock wait would do with the signal.
        while not stopping.wait(timeout=1):
            pass
    finally:
        print("Stopping the local stack ...", flush=True)
        DEV_JSON.unlink(missing_ok=True)
        env_json.unlink(missing_ok=True)
        api_server.shutdown()
        moto_streams.wake_readers()
        for thread in stream_threads:
            thread.join(timeout=5)
        for poller in queue_pollers:  # its threads may be in a long poll: only the batches in hand are waited for
            poller.settle(timeout=5)
        moto.stop()
    return 0
