"""The local stack (`python -m local`, what `make local` runs) started for real, on free ports, and
the console in a browser against it."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    api_url: str
    api_key: str
    postback_url: str
    aws_endpoint_url: str
    config_table: str
    inbox_url: str
    env_vars_file: str
    dev_json: Path
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        """What the stack printed so far."""
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, *, key: str | None = "default", **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {self.api_key if key == 'default' else key}"
        return requests.request(method, self.api_url + path, headers=headers, timeout=30, **kwargs)


def start_local_stack(tmp_path: Path, extra_env: dict[str, str] | None = None) -> LocalStack:
    dev_json = tmp_path / "dev.json"
    env = {
        **os.environ,
        "LOCAL_API_PORT": str(free_port()),
        "LOCAL_AWS_PORT": str(free_port()),
        "LOCAL_DEV_JSON": str(dev_json),
        **(extra_env or {}),
    }
    # A file, not a pipe: nothing reads a pipe while the tests run, and once its buffer is full every
    # thread of the stack that logs blocks (a long schemathesis run logs that much).
    log = tmp_path / "local.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    deadline = time.monotonic() + 60
    while not dev_json.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not come up:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
    return LocalStack(**json.loads(dev_json.read_text()), dev_json=dev_json, process=process, log=log)


def stop_local_stack(stack: LocalStack) -> int:
    stack.process.send_signal(signal.SIGTERM)
    try:
        return stack.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    # Retries a second apart, so a test can watch a whole retry sequence.
    stack = start_local_stack(tmp_path_factory.mktemp("local"), {"POSTBACK_RETRY_SCHEDULE": "1,1,1"})
    yield stack
    stop_local_stack(stack)


# --- The console in a browser: Debian's Chromium driven by Playwright (tests/e2e/test_console_browser.py).

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Without the background-networking flags Chromium's own connections are refused here, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots of every console screen at both widths, kept after the run (git-ignored).
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 860}
TABLET = {"width": 768, "height": 1024}
WIDTHS = (LAPTOP, TABLET)
_taken: list[Path] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium, one per test process (each test has a context of its own); skipped without
    one, except under CI=true, where that fails the run."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no browser at {CHROMIUM}: .ci/run installs Debian's chromium", pytrace=False)
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page at laptop width that fails its test on any script error or CSP violation."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The API's expected 4xx answers are logged as "Failed to load resource"; anything else is a bug.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and errors.append(message.text)
        ),
    )
    yield page
    context.close()
    assert errors == [], errors  # no script errors and no CSP violations on any screen


@pytest.fixture(scope="module")
def own_org_stack(local_stack: LocalStack) -> LocalStack:
    """The local stack as an organization of its own (`make org`), so rotating its inbound URL,
    counting its reports or whatever schemathesis sends touches no other test."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "layers" / "shared"),
        "AWS_ENDPOINT_URL": local_stack.aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "CONFIG_TABLE": local_stack.config_table,  # (a module's fixture: the tests' environment is not set yet)
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "admin",
            "create-org",
            "--name",
            f"Own Leads {os.urandom(3).hex()}",
            "--api-url",
            local_stack.api_url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    org = json.loads(result.stdout.strip().splitlines()[-1])
    return dataclasses.replace(local_stack, api_key=org["api_key"], postback_url=org["postback_url"])


def sign_in(page: Any, stack: LocalStack, path: str = "/console") -> None:
    """Open the console at `path` and paste the organization's key."""
    page.goto(stack.api_url + path)
    page.get_by_label("API key").fill(stack.api_key)
    page.get_by_role("button", name="Open console").click()
    page.get_by_role("heading", name="Event Management").wait_for()


def horizontal_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (a horizontal scrollbar when above 0)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def screenshots(page: Any, name: str) -> None:
    """Screenshot the screen at laptop and at tablet width, checking neither scrolls sideways;
    the page is left at the width it had."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    scrolled = page.evaluate("() => window.scrollY")
    page.evaluate("() => window.scrollTo(0, 0)")  # else the sticky top bar is drawn mid-page
    for size in WIDTHS:
        page.set_viewport_size(size)
        assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {size['width']} px"
        shot = SCREENSHOTS / f"{name}-{size['width']}.png"
        page.screenshot(path=str(shot), full_page=True)
        _taken.append(shot)
    page.set_viewport_size(before)
    page.evaluate("(y) => window.scrollTo(0, y)", scrolled)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _taken:
        terminalreporter.write_line(f"console screenshots ({len(_taken)}, at 1366 and 768 px): {SCREENSHOTS}")
