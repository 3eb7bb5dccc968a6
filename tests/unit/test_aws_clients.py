"""The clients read a trimmed copy of botocore's data; they must resolve exactly as with botocore's own."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import handlers, xform_name
from botocore.session import Session

from lead_events import aws
from lead_events.aws import TRIMMED_DATA
from lead_events.trim_botocore_data import OPERATIONS, render
from tests.conftest import ROOT

REGIONS = ["us-east-1", "eu-west-3", "ap-southeast-5", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "mars-west-1"]


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """A new session for each test, and after it (these tests change what the session reads)."""
    aws.reset_clients(session=True)
    yield
    aws.reset_clients(session=True)


def test_the_committed_trimmed_data_is_what_the_installed_botocore_gives() -> None:
    expected = render()
    committed = {str(p.relative_to(TRIMMED_DATA)): p.read_text() for p in TRIMMED_DATA.rglob("*") if p.is_file()}
    assert committed == expected, "botocore changed: run `make botocore-data` and commit lead_events/botocore_data."


def test_the_clients_use_the_trimmed_data_as_botocore_would_its_own() -> None:
    loader = aws._session().get_component("data_loader")
    _, path = loader.load_data_with_path("endpoints")
    assert path.startswith(str(TRIMMED_DATA))
    assert loader.is_builtin_path(path)  # else botocore would pass the legacy endpoint to the endpoint rules
    assert loader.search_paths[-1] == loader.BUILTIN_DATA_PATH


@pytest.mark.parametrize("service", aws.SERVICES)
@pytest.mark.parametrize("region", REGIONS)
def test_each_region_resolves_to_the_same_endpoint_and_signing_as_with_botocore_s_data(
    service: str, region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    ours = getattr(aws, service)()
    theirs = Session().create_client(service, region_name=region)
    assert ours.meta.endpoint_url == theirs.meta.endpoint_url
    assert ours.meta.region_name == theirs.meta.region_name
    assert ours.meta.partition == theirs.meta.partition
    assert ours._request_signer.signing_name == theirs._request_signer.signing_name  # type: ignore[attr-defined]
    assert ours._request_signer.region_name == theirs._request_signer.region_name  # type: ignore[attr-defined]
    assert ours.meta.service_model.operation_names == sorted(OPERATIONS[service])
    assert set(ours.meta.service_model.operation_names) <= set(theirs.meta.service_model.operation_names)
    for operation in OPERATIONS[service]:  # each as botocore's full model has it, bar the documentation
        mine, full = (
            ours.meta.service_model.operation_model(operation),
            theirs.meta.service_model.operation_model(operation),
        )
        assert mine.http == full.http
        assert _tree(mine.input_shape) == _tree(full.input_shape)
        assert _tree(mine.output_shape) == _tree(full.output_shape)


def _tree(shape: Any, seen: frozenset[str] = frozenset()) -> Any:
    """A shape and all it holds, as plain data, without its documentation."""
    if shape is None:
        return None
    described: dict[str, Any] = {
        "name": shape.name,
        "type": shape.type_name,
        "metadata": {k: v for k, v in shape.metadata.items() if k != "documentation"},
        "serialization": shape.serialization,
    }
    if shape.name in seen:  # a recursive shape: its name is enough the second time
        return described
    seen |= {shape.name}
    for part in ("member", "key", "value"):
        if hasattr(shape, part):
            described[part] = _tree(getattr(shape, part), seen)
    if hasattr(shape, "members"):
        described["members"] = {name: _tree(member, seen) for name, member in shape.members.items()}
    return described


def test_every_operation_the_functions_call_is_in_the_trimmed_models() -> None:
    session = Session()
    names = {
        xform_name(operation): (service, operation)
        for service in aws.SERVICES
        for operation in session.get_service_model(service).operation_names
    }
    called = set()
    for path in (ROOT / "layers" / "shared" / "lead_events").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
                called.add(names[node.func.attr])
    assert ("dynamodb", "TransactWriteItems") in called and ("sqs", "SendMessageBatch") in called
    assert {(service, operation) for service, operation in called if operation not in OPERATIONS[service]} == set()


def test_with_another_botocore_version_the_clients_read_botocore_s_own_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws.botocore, "__version__", "0.0.0")
    loader = aws._session().get_component("data_loader")
    _, path = loader.load_data_with_path("endpoints")
    assert str(TRIMMED_DATA) not in loader.search_paths
    assert path.startswith(loader.BUILTIN_DATA_PATH)


EVENTS = sorted({spec[0].split(".")[0] for spec in handlers.BUILTIN_HANDLERS} - {"docs"})


def _handlers(session: Session, event_name: str) -> list[str]:
    # What the session's emitter would call for the event (botocore's own lookup, without calling them),
    # by name: some handlers are made per session (Powertools adds its user agent to every session's requests).
    emitter = session.get_component("event_emitter")
    found = emitter._emitter._handlers.prefix_search(emitter._alias_event_name(event_name))  # type: ignore[attr-defined]
    return [f"{handler.__module__}.{getattr(handler, '__qualname__', type(handler).__qualname__)}" for handler in found]


@pytest.mark.parametrize("service", aws.SERVICES)
def test_the_clients_session_calls_the_same_handlers_as_botocore_s_for_every_event_of_their_services(
    service: str,
) -> None:
    ours, theirs = aws._session(), Session()
    operations = theirs.get_service_model(service).operation_names
    names = list(EVENTS)
    names += [f"{event}.{service}" for event in EVENTS]
    names += [f"{event}.{service}.{operation}" for event in EVENTS for operation in operations]
    assert operations
    assert [_handlers(ours, name) for name in names] == [_handlers(theirs, name) for name in names]
    # and it does register fewer: the handlers of other services
    assert len(_handlers(ours, "before-parameter-build.s3.PutObject")) < len(
        _handlers(theirs, "before-parameter-build.s3.PutObject")
    )
