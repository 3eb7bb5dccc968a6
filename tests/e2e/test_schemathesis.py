"""Property-based API testing from the OpenAPI document, against the running local stack.

Every phase of schemathesis: each operation gets its examples, the coverage phase's cases (the
boundaries and the invalid values its parameters and body fields allow: missing, too long, of
the wrong type ...) and fuzzed cases; then the stateful phase chains calls along the links
schemathesis infers between operations (the document declares none: the name of a created event
goes to GET /events/{name}, a new lead's id to POST /leads/{lead_id}/events ...).

Seeded, so every run sends the same requests (the answers differ only in ids and times), and
bounded by the example and scenario counts below (docs/development.md says what the run takes).
No answer may be a 5xx, or a status, content type, header or body the document does not declare;
invalid input must be refused, a key must be required, and what was deleted must be gone.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import Phase
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.core.failures import FailureGroup

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# The document the stack serves (test_api_docs checks it is the one the routes make): the tests per
# operation are made when this module is collected, before the stack runs.
DOCUMENT = ROOT / "functions" / "api_docs" / "openapi.json"
SEED = 20261201
FUZZED_EXAMPLES = 10  # per operation, besides its examples and its coverage cases
STATEFUL_SCENARIOS = 50  # at least, of up to STATEFUL_STEPS calls each
STATEFUL_STEPS = 8
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    # Left out: positive_data_acceptance, as the document cannot state every rule (a cursor must be one
    # a previous page gave, a postback URL must not point inside the network), so some schema-valid
    # input is rightly refused; unsupported_method, as API Gateway answers a method that no route has
    # with 404, not 405; and ensure_resource_availability, which takes any 404 after a creation for
    # the created object missing: POST /leads/{lead_id}/events answers 404 for an unknown event in its
    # body, for a lead that exists.
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "generation": {
            "max-examples": FUZZED_EXAMPLES,
            "database": "none",
            # The API key is sent with every request (below), not generated as a parameter.
            "with-security-parameters": False,
            # Query parameters a route does not declare are ignored, as by most HTTP APIs: not invalid input.
            "allow-extra-parameters": False,
        },
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        # An event's log entries outlive it (deleting an event keeps its logs): its View Logs route
        # answers after the delete, by design.
        "operations": [{"include-path": "/events/{name}/logs", "checks": {"use_after_free": {"enabled": False}}}],
    }
)
schema = schemathesis.openapi.from_path(DOCUMENT, config=CONFIG)


def _auth(own_org_stack: LocalStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {own_org_stack.api_key}"}


def test_the_stack_serves_the_document_the_cases_come_from(own_org_stack: LocalStack) -> None:
    served = own_org_stack.request("GET", "/openapi.json", key=None).json()
    assert served == json.loads(DOCUMENT.read_text())
    assert sum(len(operations) for operations in served["paths"].values()) >= 40


@schema.parametrize()
def test_no_input_makes_a_5xx_or_an_undeclared_answer(case: schemathesis.Case, own_org_stack: LocalStack) -> None:
    case.call_and_validate(base_url=own_org_stack.api_url, headers=_auth(own_org_stack))


def test_no_sequence_of_calls_makes_a_5xx_or_an_undeclared_answer(own_org_stack: LocalStack) -> None:
    """Scenarios along the inferred links, in suites of fixed seeds until enough have run.

    The server keeps its state from one scenario to the next, so Hypothesis may find that a choice
    it replays draws differently (FlakyStrategyDefinition); as schemathesis's own runner does, that
    ends the suite and the next one starts. Every failure is collected, then all are reported.
    """
    failures: list[str] = []
    counts = {"scenarios": 0, "calls": 0}

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            counts["scenarios"] += 1

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": own_org_stack.api_url, "headers": _auth(own_org_stack)}

        def validate_response(self, response: Any, case: schemathesis.Case, *args: Any, **kwargs: Any) -> None:
            counts["calls"] += 1
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as failure:
                failures.append(f"{case.method} {case.formatted_path}:\n{str(failure)[:3000]}")

    settings = hypothesis.settings(
        schema.config.get_hypothesis_settings(phase="stateful"),
        phases=[Phase.generate],  # no shrinking or replaying: the server's state moves on
        max_examples=STATEFUL_SCENARIOS,
    )
    suite = 0
    while counts["scenarios"] < STATEFUL_SCENARIOS and suite < 10:
        with contextlib.suppress(FlakyStrategyDefinition):
            hypothesis.seed(SEED + suite)(Scenarios).run(settings=settings)
        suite += 1
    assert counts["scenarios"] >= STATEFUL_SCENARIOS, counts
    assert not failures, "\n\n".join(failures)
