"""Deployment settings read from the environment: resources required by name, tunables checked."""

from __future__ import annotations

import ipaddress
import re

import pytest

from lead_events.config import (
    DEFAULT_RETRY_SCHEDULE,
    RESOURCES,
    Settings,
    SettingsError,
    settings,
)
from local.template import load_stack
from tests.conftest import ROOT, Deploy, template_stack

COMPLETE = {
    "CONFIG_TABLE": "acme-prod-config",
    "LEADS_TABLE": "acme-prod-leads",
    "LOGS_TABLE": "acme-prod-logs",
    "POSTBACK_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/acme-prod-postbacks",
}
RESOURCE_ATTRIBUTES = {
    "CONFIG_TABLE": "config_table",
    "LEADS_TABLE": "leads_table",
    "LOGS_TABLE": "logs_table",
    "POSTBACK_QUEUE_URL": "postback_queue_url",
}


def test_every_variable_present_is_read() -> None:
    read = Settings.read(
        {
            **COMPLETE,
            "PUBLIC_API_URL": "https://api.acme.example",
            "CONFIG_CACHE_SECONDS": "0",
            "POSTBACK_RETRY_SCHEDULE": "5,10",
            "POSTBACK_ALLOWED_NETWORKS": "10.0.0.0/8, ::1/128",
            "LOG_RETENTION_DAYS": "30",
            "POSTBACK_AUTO_DISABLE_AFTER": "0",
            "POSTBACK_REQUEST_TIMEOUT": "2.5",
        }
    )
    assert (read.config_table, read.leads_table, read.logs_table) == (
        "acme-prod-config",
        "acme-prod-leads",
        "acme-prod-logs",
    )
    assert read.postback_queue_url == COMPLETE["POSTBACK_QUEUE_URL"]
    assert read.public_api_url == "https://api.acme.example"
    assert read.config_cache_seconds == 0
    assert read.retry_schedule == (5, 10)
    assert read.allowed_networks == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert (read.log_retention_days, read.auto_disable_after, read.request_timeout) == (30, 0, 2.5)


def test_the_tunables_have_defaults_the_resources_do_not() -> None:
    read = Settings.read({})  # nothing set: the tunables alone are checked when the settings are read
    assert read.public_api_url is None
    assert read.config_cache_seconds == 60
    assert read.retry_schedule == DEFAULT_RETRY_SCHEDULE
    assert read.allowed_networks == ()
    assert (read.log_retention_days, read.auto_disable_after, read.request_timeout) == (400, 20, 15)
    for variable, attribute in RESOURCE_ATTRIBUTES.items():
        with pytest.raises(SettingsError, match=rf"^{variable} is not set: it must hold the (name|URL) of"):
            getattr(read, attribute)


@pytest.mark.parametrize("variable", sorted(RESOURCES))
def test_a_missing_resource_variable_is_an_error_naming_it_and_what_it_holds(
    deploy: Deploy, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv(variable)
    deploy()
    with pytest.raises(SettingsError) as raised:
        getattr(settings(), RESOURCE_ATTRIBUTES[variable])
    assert str(raised.value) == f"{variable} is not set: it must hold {RESOURCES[variable]}"
    # The others are still there: a process needs only the resources it uses.
    for other, attribute in RESOURCE_ATTRIBUTES.items():
        if other != variable:
            assert getattr(settings(), attribute)


def test_an_empty_resource_variable_is_an_error_too(deploy: Deploy) -> None:
    deploy(LEADS_TABLE=" ")
    with pytest.raises(SettingsError, match=r"^LEADS_TABLE is empty: it must hold the name of the leads"):
        _ = settings().leads_table


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONFIG_TABLE", "arn:aws:dynamodb:us-east-1:123456789012:table/lead-events-dev-config"),
        ("LEADS_TABLE", "lead events"),
        ("LOGS_TABLE", "lg"),
        ("POSTBACK_QUEUE_URL", "lead-events-dev-postbacks"),
        ("POSTBACK_QUEUE_URL", "sqs://queue"),
    ],
)
def test_a_resource_value_that_cannot_be_one_is_an_error_naming_the_variable_and_the_value(
    variable: str, value: str
) -> None:
    read = Settings.read({**COMPLETE, variable: value})
    with pytest.raises(SettingsError) as raised:
        getattr(read, RESOURCE_ATTRIBUTES[variable])
    assert str(raised.value).startswith(f"{variable} must hold {RESOURCES[variable]}")
    assert str(raised.value).endswith(f"got {value!r}")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONFIG_CACHE_SECONDS", "a minute"),
        ("CONFIG_CACHE_SECONDS", "-1"),
        ("CONFIG_CACHE_SECONDS", "inf"),
        ("LOG_RETENTION_DAYS", "0"),
        ("LOG_RETENTION_DAYS", "30.5"),
        ("LOG_RETENTION_DAYS", "a year"),
        ("POSTBACK_AUTO_DISABLE_AFTER", "-1"),
        ("POSTBACK_AUTO_DISABLE_AFTER", "never"),
        ("POSTBACK_RETRY_SCHEDULE", "5,ten"),
        ("POSTBACK_RETRY_SCHEDULE", "5,nan"),
        ("POSTBACK_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("PUBLIC_API_URL", "api.acme.example"),
    ],
)
def test_a_tunable_that_cannot_be_used_is_an_error_naming_the_variable_and_the_value(
    deploy: Deploy, variable: str, value: str
) -> None:
    deploy(**{variable: value})
    with pytest.raises(SettingsError, match=rf"^{variable} must be .*, got {re.escape(repr(value))}"):
        settings()


def test_a_settings_error_is_not_taken_for_bad_input() -> None:
    assert not issubclass(SettingsError, ValueError)


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


def test_the_template_gives_every_function_every_resource_and_they_are_usable() -> None:
    stack = template_stack()
    queue_url = f"https://sqs.us-east-1.amazonaws.com/123456789012/{stack.queues['PostbackQueue']['QueueName']}"
    for function in stack.functions.values():
        read = Settings.read(function.environment)
        assert read.config_table == stack.tables["ConfigTable"]["TableName"]
        assert read.leads_table == stack.tables["LeadsTable"]["TableName"]
        assert read.logs_table == stack.tables["LogsTable"]["TableName"]
        assert read.postback_queue_url == queue_url


@pytest.mark.parametrize("value", ["0", "-3", "soon", "15s", "nan", "inf", " "])
def test_a_request_timeout_that_is_not_a_positive_number_is_refused_by_name(deploy: Deploy, value: str) -> None:
    deploy(POSTBACK_REQUEST_TIMEOUT=value)
    with pytest.raises(SettingsError, match="POSTBACK_REQUEST_TIMEOUT"):
        settings()
