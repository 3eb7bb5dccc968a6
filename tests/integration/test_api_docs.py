"""One OpenAPI document for the routes of every function, with the bearer scheme declared."""

from __future__ import annotations

import json

from tests.conftest import lambda_context, sample_event, template_stack


def test_the_document_lists_every_authorized_route_of_the_template_with_bearer_security() -> None:
    from api_docs.app import lambda_handler

    answer = lambda_handler(sample_event("api_docs", "openapi_document"), lambda_context())
    assert answer["statusCode"] == 200
    document = json.loads(answer["body"])
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "lead-events API key",
        "description": document["components"]["securitySchemes"]["apiKey"]["description"],
    }
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    stack = template_stack()
    authorized = {(r.method, r.path) for r in stack.routes if r.authorizer}
    assert authorized <= documented
    for method, path in authorized:
        assert document["paths"][path][method.lower()]["security"] == [{"apiKey": []}]


def test_the_interactive_page_is_served_with_the_document_inlined() -> None:
    from api_docs.app import lambda_handler

    answer = lambda_handler(sample_event("api_docs", "docs_page"), lambda_context())
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"].startswith("text/html")
    assert "swagger" in answer["body"].lower() and "/events/{name}" in answer["body"]


def test_the_served_document_is_the_one_the_routes_generate() -> None:
    from api_docs.generate import DOCUMENT, render

    assert DOCUMENT.read_text() == render(), (
        "The routes changed: run `make openapi` and commit functions/api_docs/openapi.json."
    )


def test_an_unknown_path_is_a_404_naming_it() -> None:
    from api_docs.app import lambda_handler

    event = sample_event("api_docs", "docs_page") | {"rawPath": "/docs/nothing"}
    answer = lambda_handler(event, lambda_context())
    assert answer["statusCode"] == 404
    assert "/docs/nothing" in json.loads(answer["body"])["message"]


def test_every_route_documents_exactly_the_answers_the_integration_tests_get() -> None:
    """tests/observed_answers.py keeps what the whole integration suite got when it last ran."""
    from api_docs.generate import DOCUMENT

    from tests.observed_answers import OBSERVED, differences, documented_answers

    documented = documented_answers(json.loads(DOCUMENT.read_text()))
    observed = json.loads(OBSERVED.read_text())
    assert differences(documented, observed) == [], (
        f"Make each route's route_doc(...) say what the tests get, add the test that gets a documented answer, "
        f"or run the whole of tests/integration to update {OBSERVED.name}."
    )
