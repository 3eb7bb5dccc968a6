"""`make bench`: the project's speed, memory and cost budgets, measured against baselines in the same run.

Prints a table and writes bench/results.md. Medians over repeated runs; ratios against a baseline
measured in the same run, since absolute times on shared machines drift.

BENCH_SECTIONS=e2e,trigger (`make bench SECTIONS=...`) runs only those sections, in the usual
order, and only prints them: bench/results.md holds every section and is written only by a full run.
BENCH_RESULTS=<file> (`make bench RESULTS=...`) writes the tables to that file instead.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
RESULTS = ROOT / "bench" / "results.md"
QUICK = os.environ.get("BENCH_QUICK") == "1"
# The modules of bench/, in the order they run.
SECTIONS = ("coldstart", "trigger", "dispatcher", "logs", "e2e", "contention")


def median(values: list[float]) -> float:
    return statistics.median(values)


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes): other work on a shared machine moves every time."""
    return "/".join(f"{n:.2f}" for n in os.getloadavg())


class Report:
    def __init__(self) -> None:
        self.sections: list[str] = []
        self.load_at_start = load()

    def table(self, title: str, note: str, header: list[str], rows: list[list[Any]]) -> None:
        lines = [
            f"### {title}",
            "",
            note,
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(" --- " for _ in header) + "|",
        ]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        text = "\n".join(lines) + "\n"
        print(text, flush=True)
        self.sections.append(text)

    def write(self, path: Path, sections: list[str]) -> None:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        )
        command = "`make bench`" if sections == list(SECTIONS) else f"`make bench SECTIONS={','.join(sections)}`"
        path.write_text(
            "# Benchmark results\n\n"
            f"Measured by {command} on {time.strftime('%Y-%m-%d %H:%M')} ({machine}; load average "
            f"{self.load_at_start} at the start, {load()} at the end). AWS is moto "
            "(in-process or server), so absolute times are the emulator's; ratios compare like with like.\n\n"
            + "\n".join(self.sections)
        )


def sample(function: str, name: str) -> dict[str, Any]:
    return json.loads((EVENTS / function / f"{name}.json").read_text())


def selected_sections(value: str) -> list[str]:
    """The sections named in BENCH_SECTIONS (comma or space separated), in the usual order; all if empty."""
    names = set(value.replace(",", " ").split())
    unknown = names - set(SECTIONS)
    if unknown:
        raise SystemExit(f"BENCH_SECTIONS: no section {', '.join(sorted(unknown))} (sections: {', '.join(SECTIONS)})")
    return [name for name in SECTIONS if name in names] if names else list(SECTIONS)


def main() -> int:
    sections = selected_sections(os.environ.get("BENCH_SECTIONS", ""))
    target = os.environ.get("BENCH_RESULTS", "")
    path = Path(target).resolve() if target else RESULTS if sections == list(SECTIONS) else None
    if path == RESULTS and sections != list(SECTIONS):
        raise SystemExit(f"{RESULTS.relative_to(ROOT)} holds every section: give BENCH_RESULTS another file")

    report = Report()
    print(f"Load average {report.load_at_start} (1/5/15 min), {os.cpu_count()} cores", flush=True)
    for name in sections:
        run: Callable[[Report], None] = importlib.import_module(f"bench.{name}").run
        run(report)
    print(f"Load average {load()} (1/5/15 min) at the end", flush=True)
    if path is None:
        print(f"Sections {', '.join(sections)} only: printed, not written (BENCH_RESULTS=<file> writes them)")
        return 0
    report.write(path, sections)
    print(f"Written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
