"""AWS emulated in a process of its own, as DynamoDB and SQS are services of their own.

With moto in-process (bench.common.moto_with_resources), the emulator's work on every request runs
on the measured interpreter, under its lock: right for counting calls or timing a handler's own
work, wrong for the dispatcher's concurrency, where DynamoDB's share is a network round trip.

    with emulator_process():   # AWS_ENDPOINT_URL points at it; the template's resources exist
        ...

Run as `python -m bench.emulator <port>`: the local stack's emulator (atomic DynamoDB requests,
indexed Queries) alone, until killed.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.common import ROOT, aws_environment, free_port, preserved_environment


@contextmanager
def emulator_process() -> Iterator[str]:
    """Start the emulator in a child process with the template's resources; yield its endpoint."""
    from lead_events.wiring import reset_stores
    from local.stack import create_resources
    from local.template import load_stack

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with preserved_environment():
        aws_environment()
        child = subprocess.Popen([sys.executable, "-m", "bench.emulator", str(port)], cwd=ROOT, env=dict(os.environ))
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if child.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the emulator did not start") from None
                    time.sleep(0.05)
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            reset_stores()
            create_resources(load_stack(ROOT / "template.yaml"))
            yield endpoint
        finally:
            child.terminate()
            child.wait(timeout=10)
            reset_stores()


def main() -> None:
    from local.atomic import AtomicMotoServer
    from local.moto_index import index_moto_queries

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    index_moto_queries()
    server = AtomicMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
    server.start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
