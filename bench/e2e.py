"""The local stack end to end: an affiliate network's inbound GET until the receiver gets the postback.

Informative (issue 7): the local stack (`python -m local`: moto server, the local gateway, the
event sources) on free ports, a receiver that answers 200 at once, one event with one postback to
it, a lead per trigger. First the unloaded latency: triggers one at a time, inbound GETs and
`POST /triggers` in turns, each sent a random 0.1-0.3 s after the previous postback arrived (the
stack idle again, any periodic poll met at a random phase). Then the inbound GETs at concurrency
8, each worker on its own pooled session.

Measured only over HTTP and at the receiver, so it holds however a trigger's deliveries reach the
dispatcher: per trigger, wall-clock timestamps split the time: the send, the entry's `created_at`
(the trigger handler, after its first read), the trigger's answer, the attempt's `at` (the
dispatcher took the message) and the receiver's arrival.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
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
from tests.e2e.conftest import LocalStack, start_local_stack

TRIGGERS = 100 if QUICK else 500
CONCURRENCY = 8
ALONE = 15 if QUICK else 60  # unloaded: triggers of each kind (inbound GET, POST /triggers), one at a time
WARMUP = 2  # of each kind before them, not counted: each function's first invocations load it (cold starts)
SETTLE = (0.1, 0.3)  # seconds (uniform) between a postback's arrival and the next unloaded trigger
WAIT = 30.0  # seconds an unloaded trigger's postback may take before it counts as not arrived
SEGMENTS = (
    "sent -> entry created (gateway, the trigger handler's first read)",
    "entry created -> trigger answered (the rest of the trigger handler, the answer)",
    "trigger answered -> dispatcher took the message",
    "dispatcher took it -> receiver got the postback (claim, HTTP)",
)

# click -> (sent, answered, HTTP status, log_id), epoch seconds
Fired = dict[str, tuple[float, float, int, str]]


class Arrivals:
    """A receiver that answers 200 at once and notes when each postback (by `click`) arrived."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.arrived = threading.Condition()
        self.done = threading.Event()
        self.expected = 0
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                now = time.time()
                click = parse_qs(urlsplit(self.path).query).get("click", [""])[0]
                with arrivals.arrived:
                    arrivals.at.setdefault(click, now)
                    arrivals.arrived.notify_all()
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

    def wait_for(self, click: str, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: click in self.at, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _fire_all(postback_url: str, event: str, clicks: list[str]) -> Fired:
    """Inbound GETs at CONCURRENCY, a pooled session per worker."""
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
    stack: LocalStack, event: str, inbound: list[str], api: list[str], receiver: Arrivals, refused: list[str]
) -> tuple[Fired, Fired]:
    """Triggers one by one, an inbound GET and a `POST /triggers` in turns, each sent a random SETTLE
    after the previous postback arrived (or WAIT passed): (the inbound GETs, the API triggers)."""
    fired: tuple[Fired, Fired] = ({}, {})
    with requests.Session() as inbound_session, requests.Session() as api_session:
        api_session.headers["Authorization"] = f"Bearer {stack.api_key}"

        def send(kind: int, click: str) -> requests.Response:
            if kind == 0:
                return inbound_session.get(stack.postback_url, params={"event": event, "clickid": click}, timeout=60)
            body = {"event": event, "transaction_id": click}
            return api_session.post(stack.api_url + "/triggers", json=body, timeout=60)

        for pair in zip(inbound, api, strict=True):
            for kind, click in enumerate(pair):
                time.sleep(random.uniform(*SETTLE))
                sent = time.time()
                answer = send(kind, click)
                answered = time.time()
                log_id = answer.json().get("log_id", "") if answer.ok else ""
                fired[kind][click] = (sent, answered, answer.status_code, log_id)
                if not answer.ok:  # reported, with whether the lead can be found now
                    found = stack.request("GET", "/leads", params={"transaction_id": click}).status_code
                    refused.append(f"{click}: {answer.status_code} {answer.text} (GET /leads now: {found})")
                    continue
                receiver.wait_for(click, WAIT)
    return fired


def _segments(fired: Fired, received: dict[str, float], entries: dict[str, dict]) -> dict[str, list[float]]:
    """SEGMENTS -> seconds, for the triggers whose postback arrived and whose entry was read."""
    segments: dict[str, list[float]] = {name: [] for name in SEGMENTS}
    for click, (sent, answered, _, _) in fired.items():
        if click not in received or click not in entries:
            continue
        created = _epoch(entries[click]["created_at"])
        attempts = entries[click]["deliveries"][0]["attempts"] if entries[click]["deliveries"] else []
        segments[SEGMENTS[0]].append(created - sent)
        segments[SEGMENTS[1]].append(answered - created)
        if attempts:
            taken = _epoch(attempts[0]["at"])
            segments[SEGMENTS[2]].append(taken - answered)
            segments[SEGMENTS[3]].append(received[click] - taken)
    return segments


def _ms(values: list[float], q: float) -> str:
    return f"{_pct(values, q) * 1000:.0f}" if values else "-"


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
        stack = start_local_stack(Path(tmp))
        startup = time.perf_counter() - started
        try:
            event = "sale"
            assert stack.request("POST", "/events", json={"name": event, "conversion": True}).status_code == 201
            postback = {"url": receiver.url + "/pb?click={transaction_id}"}
            assert stack.request("POST", f"/events/{event}/postbacks", json=postback).status_code == 201
            clicks = [f"CLICK-{n:05d}" for n in range(TRIGGERS)]
            warmup_get = [f"WARMUP-GET-{n}" for n in range(WARMUP)]
            warmup_api = [f"WARMUP-API-{n}" for n in range(WARMUP)]
            alone_get = [f"ALONE-GET-{n:03d}" for n in range(ALONE)]
            alone_api = [f"ALONE-API-{n:03d}" for n in range(ALONE)]
            conflicts = 0
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                for answer in pool.map(
                    lambda click: stack.request(
                        "POST", "/leads", json={"campaign_id": "bench", "transaction_id": click}
                    ),
                    warmup_get + warmup_api + alone_get + alone_api + clicks,
                ):
                    # 409: the handler's DynamoDB client timed out on a slow moto and retried a write
                    # that had been applied; the lead is there. (Until local/lambdas.py isolated
                    # invocations, a 409 could also be a registration handed another one's body.)
                    assert answer.status_code in (201, 409), answer.text
                    conflicts += answer.status_code == 409
            refused: list[str] = []
            _one_at_a_time(stack, event, warmup_get, warmup_api, receiver, refused)
            unloaded_get, unloaded_api = _one_at_a_time(stack, event, alone_get, alone_api, receiver, refused)
            receiver.expected = 2 * (WARMUP + ALONE) + TRIGGERS
            fired = _fire_all(stack.postback_url, event, clicks)
            receiver.done.wait(120)
            received = dict(receiver.at)
            time.sleep(2)  # the dispatcher records each attempt after its request
            every = unloaded_get | unloaded_api | fired
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                logged = [c for c, (*_, log_id) in every.items() if log_id]
                logs = pool.map(lambda c: stack.request("GET", f"/logs/{every[c][3]}").json(), logged)
                entries = dict(zip(logged, logs, strict=True))
        finally:
            _stop_stack(stack)
            receiver.close()
            errors = _errors(stack.log)

    from local.template import load_stack

    template = load_stack(ROOT / "template.yaml")
    sources = ", ".join(f"{q.function} <- {q.queue} (BatchSize {q.batch_size})" for q in template.queue_sources)
    streams = ", ".join(f"{t.function} <- {t.table}'s stream" for t in getattr(template, "stream_sources", []))
    pollers = os.environ.get("LOCAL_SQS_POLLERS", "2")
    leads = 2 * (WARMUP + ALONE) + TRIGGERS
    setup = (
        f"`python -m local` (started in {startup:.1f} s), one postback per trigger to a local receiver that answers "
        f"200 at once; {conflicts} of the {leads} lead registrations answered 409. SQS event sources: "
        f"{sources or 'none'}, {pollers} pollers each, long-polling 1 s (a batch is what is waiting when a poll "
        f"returns, no batching window). DynamoDB stream event sources: {streams or 'none'}, each read 4 times a "
        "second when idle, as Lambda polls a shard. Segments from wall-clock timestamps: the entry's "
        "`created_at` (read back with `GET /logs/{id}`) and its first attempt's `at`. Bounded by the emulator: "
        "every DynamoDB request is serialized in moto, and the whole stack is one Python process. Errors in "
        f"the stack's log (the one stack of both tables): {errors or 'none'}."
    )

    def latency(fired_alone: Fired) -> tuple[list[float], list[float], dict[str, list[float]], int]:
        ok = [c for c, (_, _, status, _) in fired_alone.items() if status < 400]
        arrived = [c for c in ok if c in received]
        total = [received[c] - fired_alone[c][0] for c in arrived]
        answer = [fired_alone[c][1] - fired_alone[c][0] for c in ok]
        return total, answer, _segments(fired_alone, received, entries), len(ok) - len(arrived)

    get_total, get_answer, get_segments, get_lost = latency(unloaded_get)
    api_total, api_answer, api_segments, api_lost = latency(unloaded_api)
    rows = [
        ["trigger -> receiver got the postback", *_p50_p95(get_total), *_p50_p95(api_total)],
        ["trigger -> its answer", *_p50_p95(get_answer), *_p50_p95(api_answer)],
    ] + [[f"  {name}", *_p50_p95(get_segments[name]), *_p50_p95(api_segments[name])] for name in SEGMENTS]
    report.table(
        "Local stack end to end, one trigger at a time (informative)",
        f"The unloaded latency: {ALONE} inbound `GET /postback/{{token}}?event=sale&clickid=...` and {ALONE} "
        f"`POST /triggers` in turns, one at a time, each sent a random {SETTLE[0]}-{SETTLE[1]} s after the previous "
        f"postback arrived, after {WARMUP} of each not counted (each function's first invocations load it); p50 and "
        f"p95 (nearest rank) of {len(get_total)} and {len(api_total)} arrivals. A negative segment: the dispatcher "
        "took the message before the trigger's answer reached the client; for `POST /triggers` the gateway's part "
        "includes the authorizer (its answer cached for `ReauthorizeEvery`). Refused: "
        f"{'; '.join(refused) or 'none'}; accepted but no postback within {WAIT:.0f} s: {get_lost} and {api_lost}. "
        + setup,
        ["span", "inbound GET p50 ms", "p95 ms", "POST /triggers p50 ms", "p95 ms"],
        rows,
    )

    done = [c for c in clicks if c in received]
    answers = ", ".join(f"{n} x {code}" for code, n in sorted(Counter(fired[c][2] for c in clicks).items()))
    first_sent = min(fired[c][0] for c in clicks)
    inbound = [fired[c][1] - fired[c][0] for c in clicks]
    total = [received[c] - fired[c][0] for c in done]
    segments = _segments({c: fired[c] for c in done}, received, entries)
    rate_in = TRIGGERS / (max(fired[c][1] for c in clicks) - first_sent)
    rate_e2e = len(done) / (max(received[c] for c in done) - first_sent) if done else 0.0
    rows = [
        ["inbound GET -> receiver (end to end)", *_p50_p95(total), f"{rate_e2e:.1f} triggers/s"],
        ["inbound GET -> its answer", *_p50_p95(inbound), f"{rate_in:.1f} answers/s"],
    ] + [[f"  {name}", *_p50_p95(values), ""] for name, values in segments.items()]
    report.table(
        f"Local stack end to end, {TRIGGERS} triggers at concurrency {CONCURRENCY} (informative)",
        f"{TRIGGERS} inbound `GET /postback/{{token}}?event=sale&clickid=...` at concurrency {CONCURRENCY}, each "
        f"worker on its own pooled session, after the unloaded run. Inbound answers: {answers}; {len(done)} "
        f"postbacks arrived. Mean end to end: {statistics.fmean(total) * 1000 if total else 0:.0f} ms. Same stack "
        f"and receiver as above. Errors in the stack's log (the one stack of both tables): {errors or 'none'}.",
        ["span", "p50 ms", "p95 ms", "sustained rate"],
        rows,
    )


def _p50_p95(values: list[float]) -> tuple[str, str]:
    return _ms(values, 0.5), _ms(values, 0.95)
