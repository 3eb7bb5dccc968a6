"""A postback receiver in its own process, answering after a fixed delay: `python -m bench.receiver 0.2`.

Its own process, as a real receiver would be: in the benchmark's process its threads would wait for
the interpreter lock behind the emulator. Prints its port, then serves until stdin closes.
`GET /_stats` answers the number of distinct connections and of requests served so far.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import ROOT


def serve(delay: float) -> None:
    connections: set[tuple[str, int]] = set()
    requests = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms of delayed ACK)

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            nonlocal requests
            if self.path == "/_stats":
                with lock:
                    stats = {"connections": len(connections), "requests": requests}
                self._answer(json.dumps(stats).encode())
                return
            with lock:
                connections.add(self.client_address)
                requests += 1
            time.sleep(delay)
            self._answer(b"OK")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the benchmark closes it


class Receiver:
    """Starts the receiver process; `url`, `stats()`, `stop()`."""

    def __init__(self, delay: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", str(delay)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def stats(self) -> dict[str, int]:
        import requests

        return dict(requests.get(f"{self.url}/_stats", timeout=5).json())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


if __name__ == "__main__":
    serve(float(sys.argv[1]))
