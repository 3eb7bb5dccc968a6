"""Deployment settings read from the environment: POSTBACK_REQUEST_TIMEOUT."""

import pytest

from lead_events.config import SettingsError, settings
from local.template import load_stack
from tests.conftest import ROOT, Deploy


def test_the_request_timeout_is_15_seconds_unless_the_deployment_says_otherwise(
    deploy: Deploy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTBACK_REQUEST_TIMEOUT", raising=False)
    deploy()
    assert settings().request_timeout == 15
    deploy(POSTBACK_REQUEST_TIMEOUT="1.5")
    assert settings().request_timeout == 1.5


def test_the_template_gives_every_function_the_request_timeout_parameter() -> None:
    stack = load_stack(ROOT / "template.yaml", overrides={"PostbackRequestTimeout": 20})
    assert {f.environment["POSTBACK_REQUEST_TIMEOUT"] for f in stack.functions.values()} == {"20"}


@pytest.mark.parametrize("value", ["0", "-3", "soon", "15s", "nan", "inf", " "])
def test_a_request_timeout_that_is_not_a_positive_number_is_refused_by_name(deploy: Deploy, value: str) -> None:
    deploy(POSTBACK_REQUEST_TIMEOUT=value)
    with pytest.raises(SettingsError, match="POSTBACK_REQUEST_TIMEOUT"):
        settings()
