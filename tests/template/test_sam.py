"""The SAM CLI's own checks: `sam validate --lint` and a real `sam build` whose output imports.

aws-sam-cli lives in its own virtual environment (.venv-sam, made by `make install`) because it
pins its own boto3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, cfn_lint_decode

SAM = ROOT / ".venv-sam" / "bin" / "sam"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SAM.exists() and not os.environ.get("CI"), reason="run `make install` for the SAM CLI"),
]


def _sam(*args: str, cwd: Path = ROOT, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_sam_validate_lint_passes() -> None:
    result = _sam("validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def _x86_template(tmp_path: Path) -> Path:
    """template.yaml for x86_64 (this machine), with code paths made absolute, as JSON."""
    template, _ = cfn_lint_decode(ROOT / "template.yaml")
    template = json.loads(json.dumps(template))
    template["Globals"]["Function"]["Architectures"] = ["x86_64"]
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = str(ROOT / props[key])
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            props["CompatibleArchitectures"] = ["x86_64"]
            resource["Metadata"]["BuildArchitecture"] = "x86_64"
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    return path


def test_sam_build_output_imports_every_handler_with_only_the_built_layer(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    result = _sam("build", "--template-file", str(_x86_template(tmp_path)), "--build-dir", str(build_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    built, _ = cfn_lint_decode(build_dir / "template.yaml")
    layer_dir = build_dir / "SharedLayer" / "python"
    assert (layer_dir / "lead_events" / "__init__.py").exists()
    assert (layer_dir / "aws_lambda_powertools").is_dir()
    # The clients read the trimmed botocore data only with the botocore version it was made from.
    (botocore_dist,) = layer_dir.glob("botocore-*.dist-info")
    trimmed_from = (layer_dir / "lead_events" / "botocore_data" / "botocore-version").read_text().strip()
    assert botocore_dist.name == f"botocore-{trimmed_from}.dist-info", (
        f"The layer gets {botocore_dist.name}, the trimmed data is from botocore {trimmed_from}: install the "
        "layer's botocore in .venv and run `make botocore-data` (or pin botocore in pyproject.toml and `make lock`)."
    )
    for logical_id, resource in built["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        code_dir = build_dir / logical_id
        module, _, attr = resource["Properties"]["Handler"].rpartition(".")
        probe = f"import importlib; assert callable(getattr(importlib.import_module({module!r}), {attr!r}))"
        # -S: no site-packages; only the function's code and the built layer, as in Lambda.
        env = {"PYTHONPATH": f"{code_dir}:{layer_dir}", "PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"}
        run = subprocess.run(
            [sys.executable, "-S", "-c", probe], cwd=code_dir, env=env, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, f"{logical_id}: {run.stderr}"
