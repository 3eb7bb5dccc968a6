"""`make invoke FUNCTION=<logical id> EVENT=<file>`: one function on one event against the running local stack.

What `sam local invoke` does, without Docker: the function's JSON result on stdout, its logs on
stderr, a function error as Lambda reports it (errorMessage, errorType, stackTrace) and exit 1. The
function talks to the local stack's embedded AWS with the environment the stack gave it (the file
dev.json names, .local/env.json); it runs in this process, not in the stack's, so it is a cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.template import REGION, load_stack

LOCAL_DIR = Path(__file__).resolve().parent
ROOT = LOCAL_DIR.parent
DEV_JSON = Path(os.environ.get("LOCAL_DEV_JSON", ROOT / ".local" / "dev.json")).resolve()


class InvokeError(Exception):
    """Why the invocation cannot be made: one line for the person who asked."""


def running_stack(dev_json: Path) -> dict[str, Any]:
    """The running local stack's dev.json; InvokeError when none runs."""
    if not dev_json.exists():
        raise InvokeError(f"The local stack is not running ({dev_json} does not exist): start it with `make local`.")
    dev = json.loads(dev_json.read_text())
    endpoint = urlsplit(dev["aws_endpoint_url"])
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 80), timeout=2).close()
    except OSError:
        raise InvokeError(
            f"The local stack is not running: nothing answers at {dev['aws_endpoint_url']} ({dev_json} is left "
            "from a run that ended): start it with `make local`."
        ) from None
    return dev


def event_file(name: str) -> Path:
    """EVENT as given, or under events/ (`trigger_api/create_lead` for events/trigger_api/create_lead.json)."""
    for candidate in (Path(name), ROOT / "events" / name, ROOT / "events" / f"{name}.json"):
        if candidate.is_file():
            return candidate
    raise InvokeError(f"No event file {name!r}: give a path such as events/trigger_api/create_lead.json.")


def invoke(function_id: str, event_name: str, dev_json: Path = DEV_JSON) -> int:
    dev = running_stack(dev_json)
    stack = load_stack(ROOT / "template.yaml", sqs_endpoint=dev["aws_endpoint_url"])
    if function_id not in stack.functions:
        raise InvokeError(f"No function {function_id!r} in template.yaml; its functions: {', '.join(stack.functions)}.")
    path = event_file(event_name)
    try:
        event = json.loads(path.read_text())
    except ValueError as exc:
        raise InvokeError(f"{path} is not JSON: {exc}") from None
    environments = json.loads(Path(dev["env_vars_file"]).read_text())
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",  # noqa: S106 - the embedded AWS accepts anything
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        PUBLIC_API_URL=dev["api_url"],
    )
    os.environ.update(environments[function_id])
    sys.path[:0] = [str(d) for d in stack.layer_dirs if str(d) not in sys.path]

    from local.lambdas import FunctionPool  # imports Powertools: only once the environment is the function's

    result_out, sys.stdout = sys.stdout, sys.stderr  # what the function prints is its log, as on Lambda
    try:
        result = FunctionPool(stack.functions[function_id]).invoke(event)
    except Exception as exc:  # a function error, reported as Lambda reports it
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent != LOCAL_DIR]
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_list(frames),  # the function's frames, not this runner's
        }
        print(json.dumps(error), file=result_out, flush=True)
        return 1
    finally:
        sys.stdout.flush()
        sys.stdout = result_out
    print(json.dumps(result), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__.splitlines()[0])
    parser.add_argument("function", metavar="FUNCTION", help="the function's logical id in template.yaml")
    parser.add_argument("event", metavar="EVENT", help="the event file, e.g. events/trigger_api/create_lead.json")
    args = parser.parse_args(argv)
    try:
        return invoke(args.function, args.event)
    except InvokeError as exc:
        print(f"make invoke: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    from local import moto_mismatch

    if mismatch := moto_mismatch():
        sys.exit(mismatch)
    sys.exit(main())
