"""The answers the integration suite gets from the API, kept to check the OpenAPI document against.

A pytest plugin (tests/conftest.py loads it). During every test of tests/integration it records each
answer as (method, route, status): where every HTTP answer passes, so that no test has to remember
to — Powertools' resolver (`resolve`, patched on its class: every function answer, whichever way a
test calls the handler) and the local API Gateway (`Gateway.handle`: the answers it gives itself,
such as the authorizer's 401). The route is the document's path template that the request's path
matches; requests to paths the document does not have (the console, test-only functions) are left out.

Under xdist each worker hands its answers to the controller in `workeroutput`, so nothing is written
by workers and no file can be left over from another run. When a run included the whole of
tests/integration (every file, nothing deselected) and passed (but for FAST_CHECK, which reads the
file), the controller writes them to OBSERVED (committed), then fails the run with a list if they
and the document differ. The fast test
in tests/integration/test_api_docs.py compares OBSERVED with the document, so a route's documented
answers cannot change without a test that provokes each. Only 2xx to 4xx answers are compared: a
5xx says what state the server is in, not how it answers the request (the document says so once).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "api_docs" / "openapi.json"
OBSERVED = ROOT / "tests" / "integration" / "observed_answers.json"
SUITE = "tests/integration"
# The fast check reads OBSERVED: its failure (a stale file) is what a whole run rewrites the file for.
FAST_CHECK = f"{SUITE}/test_api_docs.py::test_every_route_documents_exactly_the_answers_the_integration_tests_get"

Answers = dict[str, list[int]]  # "GET /events/{name}" -> [200, 401, 404, 422]


def documented_answers(document: dict[str, Any]) -> Answers:
    """What the document says each operation answers (2xx to 4xx)."""
    return {
        f"{method.upper()} {path}": sorted(int(code) for code in operation["responses"] if 200 <= int(code) < 500)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def differences(documented: Answers, observed: Answers) -> list[str]:
    """Each operation whose documented answers are not the observed ones, in words; empty when they agree."""
    lines = []
    for route in sorted(documented.keys() | observed.keys()):
        said, seen = set(documented.get(route, [])), set(observed.get(route, []))
        if said - seen:
            lines.append(f"{route}: documented but no test got {sorted(said - seen)}")
        if seen - said:
            lines.append(f"{route}: answered {sorted(seen - said)}, which the document does not list")
    return lines


@cache
def _templates() -> list[tuple[re.Pattern[str], int, str, frozenset[str]]]:
    document = json.loads(DOCUMENT.read_text())
    templates = []
    for path, operations in document["paths"].items():
        segments = path.strip("/").split("/")
        pattern = "".join("/[^/]+" if s.startswith("{") else "/" + re.escape(s) for s in segments)
        literal = sum(not s.startswith("{") for s in segments)
        templates.append((re.compile(f"^{pattern}$"), literal, path, frozenset(m.upper() for m in operations)))
    return sorted(templates, key=lambda t: -t[1])  # the most literal first, as API Gateway routes


def route_of(method: str, path: str) -> str | None:
    """'GET /events/{name}' for GET /events/sale; None for a path the document does not have."""
    for regex, _, template, methods in _templates():
        if method.upper() in methods and regex.match(path):
            return f"{method.upper()} {template}"
    return None


_observed: set[tuple[str, int]] = set()
_recording = False


def _record(method: str, path: str, status: int) -> None:
    route = route_of(method, path) if _recording else None
    if route is not None and 200 <= status < 500:
        _observed.add((route, status))


def _install_recorders() -> None:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from local.gateway import Gateway

    resolve, handle = APIGatewayHttpResolver.resolve, Gateway.handle

    def recorded_resolve(self: APIGatewayHttpResolver, event: Any, context: Any) -> Any:
        answer = resolve(self, event, context)
        if isinstance(event, dict) and isinstance(answer, dict):
            _record(event["requestContext"]["http"]["method"], event.get("rawPath", ""), int(answer["statusCode"]))
        return answer

    def recorded_handle(self: Gateway, request: Any) -> Any:
        response = handle(self, request)
        _record(request.method, request.path, response.status_code)
        return response

    APIGatewayHttpResolver.resolve = recorded_resolve  # type: ignore[method-assign]
    Gateway.handle = recorded_handle  # type: ignore[method-assign]


def _as_answers(pairs: set[tuple[str, int]]) -> Answers:
    answers: dict[str, set[int]] = {}
    for route, status in pairs:
        answers.setdefault(route, set()).add(status)
    return {route: sorted(answers[route]) for route in sorted(answers)}


class _Run:
    """What the controller (or the one process, serially) learns about the run."""

    def __init__(self) -> None:
        self.files_run: set[str] = set()
        self.failed: set[str] = set()
        self.report: list[str] = []
        self.rewritten = False


_run = _Run()


def pytest_configure(config: pytest.Config) -> None:
    _install_recorders()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    global _recording
    _recording = item.nodeid.startswith(f"{SUITE}/")
    try:
        return (yield)
    finally:
        _recording = False


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _run.files_run.add(report.nodeid.split("::")[0])
    if report.failed:
        _run.failed.add(report.nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist, on the controller: a worker's answers."""
    _observed.update((route, status) for route, status in node.workeroutput.get("observed_answers", []))


def _whole_suite_ran(config: pytest.Config) -> bool:
    on_disk = {str(p.relative_to(ROOT)) for p in (ROOT / SUITE).glob("test_*.py")}
    narrowed = (
        config.getoption("keyword")
        or config.getoption("markexpr")
        or config.getoption("deselect")
        or any("::" in arg for arg in config.args)
    )
    return not narrowed and on_disk <= _run.files_run


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the answers over
        config.workeroutput["observed_answers"] = sorted(_observed)
        return
    if _run.failed - {FAST_CHECK} or not _whole_suite_ran(config):
        return
    observed = _as_answers(_observed)
    text = json.dumps(observed, indent=1) + "\n"
    if OBSERVED.read_text() != text:
        OBSERVED.write_text(text)
        _run.rewritten = True
    _run.report = differences(documented_answers(json.loads(DOCUMENT.read_text())), observed)
    if _run.report:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _run.rewritten:
        terminalreporter.write_line(f"{OBSERVED.relative_to(ROOT)} now holds the answers this run got: commit it.")
    if _run.report:
        terminalreporter.write_sep("=", "the OpenAPI document and the answers of tests/integration differ", red=True)
        for line in _run.report:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            f"Make each route's responses=answers(...) say what the tests got, or add the test that gets it "
            f"({OBSERVED.relative_to(ROOT)} holds what they got)."
        )
