"""The local stack end to end: an affiliate network's inbound GET until the receiver gets the postback.

Informative (issue 7): the local stack (`python -m local`: moto server, the local gateway, SQS
pollers) on free ports, a receiver that answers 200 at once, one event with one postback to it, a
lead per trigger; then the inbound GETs at concurrency 8, each on its own pooled session. Per
trigger, wall-clock timestamps split the time: the send, the entry's `created_at` (the trigger
handler, after its first read), the inbound response, the attempt's `at` (the dispatcher took the
message) and the receiver's arrival.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from bench.run import QUICK, ROOT, Report
from tests.e2e.conftest import LocalStack, free_port

TRIGGERS = 100 if QUICK else 500
CONCURRENCY = 8
ALONE = 10  # triggers sent one at a time first, each after the previous one arrived: the unloaded latency


class Arrivals:
    """A receiver that answers 200 at once and notes when each postback (by `click`) arrived."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.done = threading.Event()
        self.expected = 0
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                now = time.time()
                click = parse_qs(urlsplit(self.path).query).get("click", [""])[0]
                arrivals.at.setdefault(click, now)
                if arrivals.expected and len(arrivals.at) >= arrivals.expected:
                    arrivals.done.set()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _fire_all(postback_url: str, event: str, clicks: list[str]) -> dict[str, tuple[float, float, int, str]]:
    """Inbound GETs at CONCURRENCY, a pooled session per worker: click -> (sent, answered, status, log_id)."""
    local = threading.local()

    def fire(click: str) -> tuple[str, tuple[float, float, int, str]]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        sent = time.time()
        answer = session.get(postback_url, params={"event": event, "clickid": click}, timeout=60)
        answered = time.time()
        log_id = answer.json().get("log_id", "") if answer.ok else ""
        return click, (sent, answered, answer.status_code, log_id)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return dict(pool.map(fire, clicks))


def _one_at_a_time(
    stack: LocalStack, event: str, clicks: list[str], receiver: Arrivals, refused: list[str]
) -> list[tuple[float, float]]:
    """(answer, arrival) seconds of triggers sent one by one, each after the previous postback arrived."""
    timings = []
    with requests.Session() as session:
        for click in clicks:
            sent = time.time()
            answer = session.get(stack.postback_url, params={"event": event, "clickid": click}, timeout=60)
            answered = time.time()
            if not answer.ok:  # reported, with whether the lead can be found now
                found = stack.request("GET", "/leads", params={"transaction_id": click}).status_code
                refused.append(f"{click}: {answer.status_code} {answer.text} (GET /leads now: {found})")
                continue
            while click not in receiver.at and time.time() - sent < 30:
                time.sleep(0.005)
            timings.append((answered - sent, receiver.at.get(click, float("nan")) - sent))
    return timings


def _start_stack(tmp: Path) -> LocalStack:
    """`python -m local` on free ports, its output to a file (a pipe nobody reads would fill and block it)."""
    dev_json = tmp / "dev.json"
    ports = {"LOCAL_API_PORT": str(free_port()), "LOCAL_AWS_PORT": str(free_port()), "LOCAL_DEV_JSON": str(dev_json)}
    with (tmp / "stack.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env={**os.environ, **ports}, stdout=log, stderr=log, text=True
        )
    deadline = time.monotonic() + 60
    while not dev_json.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError("the local stack did not come up:\n" + (tmp / "stack.log").read_text())
        time.sleep(0.1)
    return LocalStack(**json.loads(dev_json.read_text()), dev_json=dev_json, process=process)


def _errors(log: Path) -> str:
    """The errors the stack's functions logged (Powertools JSON lines), counted by exception."""
    names: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"level":"ERROR"' in line:
            try:
                record = json.loads(line)
            except ValueError:
                record = {}
            names[record.get("exception_name") or record.get("message", "?")] += 1
    return ", ".join(f"{n} x {name}" for name, n in names.most_common())


def _stop_stack(stack: LocalStack) -> None:
    stack.process.send_signal(signal.SIGTERM)
    try:
        stack.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        stack.process.wait()


def run(report: Report) -> None:
    receiver = Arrivals()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        stack = _start_stack(Path(tmp))
        startup = time.perf_counter() - started
        try:
            event = "sale"
            assert stack.request("POST", "/events", json={"name": event, "conversion": True}).status_code == 201
            postback = {"url": receiver.url + "/pb?click={transaction_id}"}
            assert stack.request("POST", f"/events/{event}/postbacks", json=postback).status_code == 201
            clicks = [f"CLICK-{n:05d}" for n in range(TRIGGERS)]
            alone = [f"ALONE-{n:02d}" for n in range(ALONE)]
            conflicts = 0
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                for answer in pool.map(
                    lambda click: stack.request(
                        "POST", "/leads", json={"campaign_id": "bench", "transaction_id": click}
                    ),
                    alone + clicks,
                ):
                    # 409: the handler's DynamoDB client timed out on a slow moto and retried a write
                    # that had been applied; the lead is there. (Until local/lambdas.py isolated
                    # invocations, a 409 could also be a registration handed another one's body.)
                    assert answer.status_code in (201, 409), answer.text
                    conflicts += answer.status_code == 409
            refused: list[str] = []
            unloaded = _one_at_a_time(stack, event, alone, receiver, refused)
            receiver.expected = ALONE + TRIGGERS
            fired = _fire_all(stack.postback_url, event, clicks)
            receiver.done.wait(120)
            received = dict(receiver.at)
            time.sleep(2)  # the dispatcher records each attempt after its request
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                logged = [c for c in clicks if fired[c][3]]
                logs = pool.map(lambda c: stack.request("GET", f"/logs/{fired[c][3]}").json(), logged)
                entries = dict(zip(logged, logs, strict=True))
        finally:
            _stop_stack(stack)
            receiver.close()
            errors = _errors(Path(tmp) / "stack.log")

    done = [c for c in clicks if c in received]
    answers = ", ".join(f"{n} x {code}" for code, n in sorted(Counter(fired[c][2] for c in clicks).items()))
    first_sent = min(fired[c][0] for c in clicks)
    inbound = [fired[c][1] - fired[c][0] for c in clicks]
    total = [received[c] - fired[c][0] for c in done]
    segments: dict[str, list[float]] = {
        "send -> entry created (gateway, trigger handler's first read)": [],
        "entry created -> inbound answered (transaction, SQS send, answer)": [],
        "answered -> dispatcher took the message (SQS wait)": [],
        "dispatcher took it -> receiver got the postback (claim, HTTP)": [],
    }
    for click in done:
        sent, answered, _, log_id = fired[click]
        if not log_id:
            continue
        created = _epoch(entries[click]["created_at"])
        attempts = entries[click]["deliveries"][0]["attempts"] if entries[click]["deliveries"] else []
        taken = _epoch(attempts[0]["at"]) if attempts else None
        names = list(segments)
        segments[names[0]].append(created - sent)
        segments[names[1]].append(answered - created)
        if taken is not None:
            segments[names[2]].append(taken - answered)
            segments[names[3]].append(received[click] - taken)
    rate_in = TRIGGERS / (max(fired[c][1] for c in clicks) - first_sent)
    rate_e2e = len(done) / (max(received[c] for c in done) - first_sent) if done else 0.0

    def ms(values: list[float], q: float) -> str:
        return f"{_pct(values, q) * 1000:.0f}" if values else "-"

    rows = [
        [f"one at a time ({ALONE}): inbound GET -> receiver", ms([t[1] for t in unloaded], 0.5), "", ""],
        [f"one at a time ({ALONE}): inbound GET -> its answer", ms([t[0] for t in unloaded], 0.5), "", ""],
        ["inbound GET -> receiver (end to end)", ms(total, 0.5), ms(total, 0.95), f"{rate_e2e:.1f} triggers/s"],
        ["inbound GET -> its answer", ms(inbound, 0.5), ms(inbound, 0.95), f"{rate_in:.1f} answers/s"],
    ] + [[f"  {name}", ms(values, 0.5), ms(values, 0.95), ""] for name, values in segments.items()]
    pollers = os.environ.get("LOCAL_SQS_POLLERS", "2")
    from local.template import load_stack

    [batch_size] = [q.batch_size for q in load_stack(ROOT / "template.yaml").queue_sources]
    report.table(
        "Local stack end to end (informative)",
        f"{TRIGGERS} inbound `GET /postback/{{token}}?event=sale&clickid=...` at concurrency {CONCURRENCY} against "
        f"`python -m local` (started in {startup:.1f} s), one postback each to a local receiver that answers 200 at "
        f"once. Inbound answers: {answers}; {len(done)} postbacks arrived; {conflicts} lead registrations answered "
        f"409. Errors in the stack's log: {errors or 'none'}. Before them, {ALONE} triggers one at a time (the "
        f"unloaded latency; refused: {'; '.join(refused) or 'none'}). "
        f"SQS: {pollers} pollers long-polling 1 s, batches of up to the template's BatchSize ({batch_size}; what is "
        "waiting when a poll returns, no batching window). Segments from wall-clock "
        "timestamps (the entry's `created_at`, the attempt's `at`), median and p95. Bounded by the emulator: every "
        "DynamoDB request is serialized in moto. "
        f"Mean end to end: {statistics.fmean(total) * 1000 if total else 0:.0f} ms.",
        ["span", "p50 ms", "p95 ms", "sustained rate"],
        rows,
    )
