"""Loading a handler pauses the garbage collector (cold start); it must be running again afterwards."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))


@pytest.mark.parametrize("function", HANDLERS)
def test_after_a_handler_loads_the_garbage_collector_runs(function: str) -> None:
    probe = "import gc, app; assert gc.isenabled(), 'gc left disabled'; assert callable(app.lambda_handler)"
    path = os.pathsep.join(str(p) for p in (ROOT / "functions" / function, ROOT / "layers" / "shared"))
    env = {**os.environ, "PYTHONPATH": path}
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
