"""The README's quickstart, pasted as a newcomer would: its bash block run verbatim against a fresh local stack.

Each command runs as written, in order, in one bash process, from a directory that looks like a fresh
clone (the repository's files, linked) with its own `.local/`; the only addition is a marker line
printed before each command, so that the output of each can be compared with what the README says
it answers: a `# → ...` comment right after a command, where `…` stands for anything.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUICKSTART = re.compile(r"^## Quickstart\n.*?^```bash\n(?P<block>.*?)^```", re.S | re.M)
ANSWER = "# → "
MARKER = "@@quickstart-step"


@dataclass
class Step:
    command: str
    answers: list[str]


def quickstart_steps(readme: str) -> list[Step]:
    """The block's commands (continuation lines joined), each with the answers the README shows for it."""
    found = QUICKSTART.search(readme)
    assert found, "README.md has no ```bash block under '## Quickstart'"
    steps: list[Step] = []
    pending = ""
    for line in found["block"].splitlines():
        if pending:
            pending += "\n" + line
        elif line.startswith(ANSWER):
            assert steps, f"an answer before any command: {line}"
            steps[-1].answers.append(line.removeprefix(ANSWER))
            continue
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        else:
            pending = line
        if not pending.endswith("\\"):
            steps.append(Step(pending, []))
            pending = ""
    return steps


def _matches(answer: str, output: str) -> bool:
    """`answer` (with `…` for anything) in `output`, whitespace aside."""
    squeeze = re.compile(r"\s+")
    pattern = ".*".join(re.escape(squeeze.sub("", part)) for part in answer.split("…"))
    return re.search(pattern, squeeze.sub("", output), re.S) is not None


def _fresh_clone(tmp_path: Path) -> Path:
    """A directory with the repository's files (linked, virtual environments included) and no `.local/`."""
    clone = tmp_path / "lead-events"
    clone.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in {".local", ".git", ".artifacts"}:
            (clone / entry.name).symlink_to(entry)
    return clone


def _stop_group(group: int) -> None:
    """SIGTERM to the block's processes (the stack among them), SIGKILL to what is left after 20 s."""
    os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)


def test_the_readme_quickstart_runs_as_pasted_and_answers_what_it_says(tmp_path: Path) -> None:
    steps = quickstart_steps((ROOT / "README.md").read_text())
    # The API's answers end without a newline: each marker starts a line of its own.
    script = "\n".join(f"printf '\\n{MARKER} {number}\\n'\n{step.command}" for number, step in enumerate(steps))
    clone = _fresh_clone(tmp_path)
    env = {
        **os.environ,
        "LOCAL_API_PORT": str(free_port()),
        "LOCAL_AWS_PORT": str(free_port()),
        "LOCAL_DEV_JSON": str(clone / ".local" / "dev.json"),
    }
    env.pop("MAKEFLAGS", None)
    process = subprocess.Popen(
        ["bash", "-c", script],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the stack `make local &` leaves running is stopped with the group below
    )
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        _stop_group(process.pid)
    server_log = clone / "local.log"
    assert process.returncode == 0, output
    outputs = re.split(rf"\n{MARKER} \d+\n", output)[1:]
    assert len(outputs) == len(steps), output
    for step, answered in zip(steps, outputs, strict=True):
        for answer in step.answers:
            assert _matches(answer, answered), f"{step.command}\nanswered:\n{answered}\nthe README says:\n{answer}"
    # The server's own lines went to its log, not into the answers.
    assert server_log.exists() and "lead-events is running locally" in server_log.read_text()
    assert "Embedded AWS" not in output
