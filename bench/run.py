"""`make bench`: the budgets of architecture.md, measured against baselines in the same run.

Prints a table and writes bench/results.md. Medians over repeated runs; ratios against a baseline
measured in the same run, since absolute times on shared machines drift.
"""

from __future__ import annotations

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


def median(values: list[float]) -> float:
    return statistics.median(values)


class Report:
    def __init__(self) -> None:
        self.sections: list[str] = []

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

    def write(self) -> None:
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
        )
        RESULTS.write_text(
            "# Benchmark results\n\n"
            f"Measured by `make bench` on {time.strftime('%Y-%m-%d')} ({machine}). AWS is moto "
            "(in-process or server), so absolute times are the emulator's; ratios compare like with like.\n\n"
            + "\n".join(self.sections)
        )


def sample(function: str, name: str) -> dict[str, Any]:
    return json.loads((EVENTS / function / f"{name}.json").read_text())


def main() -> int:
    from bench import coldstart, dispatcher, e2e, logs, trigger

    report = Report()
    sections: list[Callable[[Report], None]] = [coldstart.run, trigger.run, dispatcher.run, logs.run, e2e.run]
    for section in sections:
        section(report)
    report.write()
    print(f"Written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
