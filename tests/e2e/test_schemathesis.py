"""Property-based API testing from the OpenAPI document, against the running local stack.

Bounded (a few examples per operation, derandomized so every run sends the same requests): no
answer may be a 5xx, and every answer's status and body must match what the document declares.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.e2e.conftest import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXAMPLES = 15


def test_no_input_makes_a_5xx_or_an_undeclared_answer(local_stack: LocalStack) -> None:
    schema = schemathesis.openapi.from_url(f"{local_stack.api_url}/openapi.json")
    headers = {"Authorization": f"Bearer {local_stack.api_key}"}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=local_stack.api_url,
                headers=headers,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
