"""Every error answer of the HTTP API is shaped here: `{"message": ..., "errors"?: [...]}`."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from botocore.exceptions import ClientError
from pydantic import Field

from lead_events.api.context import BEARER_SECURITY
from lead_events.errors import LeadEventsError
from lead_events.models.common import Model
from lead_events.observability import logger

# DynamoDB's answers for more load than a key or the account takes at the moment.
THROTTLED = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"})


class FieldError(Model):
    field: str = Field(description="Where the problem is, e.g. `name` or `query.limit`.")
    message: str
    type: str


class ErrorBody(Model):
    message: str = Field(description="What went wrong, in words a person can act on.")
    errors: list[FieldError] | None = Field(None, description="For invalid input: each field and why.")


_DESCRIPTIONS = {
    200: "Success",
    201: "Created",
    202: "Accepted",
    204: "Done; no content",
    400: "The request cannot be used as sent: `message` says why",
    401: "No API key, or one that is not valid (unknown or revoked)",
    404: "Not found: `message` names what",
    409: "Conflicts with the current state: `message` says what to do first",
    413: "The body is too large",
    415: "The body is not of a type this route reads",
    422: "Invalid input: `errors` names each field and why",
}


def answers(success: int, *errors: int) -> dict[int, OpenAPIResponse]:
    """A route's answers for the OpenAPI document (routes give them through `route_doc`): its `success`
    status (schema from the route's return annotation; none for 204) and exactly the error statuses it
    can give, each an ErrorBody. tests/observed_answers.py checks them against what the integration
    tests get.
    """
    documented: dict[int, OpenAPIResponse] = {success: {"description": _DESCRIPTIONS[success]}}
    if success == 204:
        documented[success]["content"] = {}
    for status in errors:
        documented[status] = {
            "description": _DESCRIPTIONS[status],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return documented


_PUBLIC: list[dict[str, list[str]]] = [{}]  # a route that carries its own secret (the inbound URL): no header


def route_doc(tag: str, success: int, *errors: int, public: bool = False) -> dict[str, Any]:
    """A route's OpenAPI tag, security and answers, for its decorator:
    `@app.get("/events/<name>", **route_doc("Events", 200, 401, 404, 422))`.

    What it does for an operator (summary and description) is in functions/api_docs/operations.py.
    """
    return {"tags": [tag], "security": _PUBLIC if public else BEARER_SECURITY, "responses": answers(success, *errors)}


def error_response(status: int, message: str, errors: list[FieldError] | None = None) -> Response:
    body = ErrorBody(message=message, errors=errors).model_dump(exclude_none=True)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _field_name(loc: Any) -> str:
    parts = [str(part) for part in (loc or ())]
    if parts and parts[0] == "body":
        parts = parts[1:]  # the body is the usual place: name its fields plainly
    return ".".join(parts) or "body"


def _field_errors(raw: list[dict[str, Any]]) -> list[FieldError]:
    errors = []
    for error in raw:
        message = str(error.get("msg") or error.get("type") or "invalid value")
        message = message.removeprefix("Value error, ")
        field = _field_name(error.get("loc"))
        if error.get("type") == "json_invalid":
            field = "body"
            message = "The body cannot be read as JSON" + (f": {error['ctx']['error']}" if error.get("ctx") else "")
        elif field == "body" and error.get("type") == "missing":
            message = "A JSON object is required"
        errors.append(FieldError(field=field, message=message, type=str(error.get("type", ""))))
    return errors


def install_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Register the answers for invalid input, domain errors, unknown routes and bugs on `app`."""

    @app.exception_handler(RequestValidationError)
    def _invalid_input(exc: RequestValidationError) -> Response:
        errors = _field_errors(list(exc.errors()))
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return error_response(422, f"Invalid request. {summary}", errors)

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(exc: RequestUnsupportedContentType) -> Response:
        return error_response(415, "Send the body as JSON, with 'Content-Type: application/json'.")

    @app.exception_handler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        return error_response(400, "The body is nested too deeply to read.")

    @app.exception_handler(UnicodeDecodeError)
    def _not_text(exc: UnicodeDecodeError) -> Response:
        return error_response(400, "The body is not valid UTF-8 text; send JSON encoded as UTF-8.")

    @app.exception_handler(LeadEventsError)
    def _domain_error(exc: LeadEventsError) -> Response:
        return error_response(exc.status, exc.message)

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return error_response(exc.status_code, str(exc.msg))

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response:
        event = app.current_event
        return error_response(404, f"There is no route {event.http_method} {event.path}.")

    @app.exception_handler(ClientError)
    def _aws_error(exc: ClientError) -> Response:
        if exc.response.get("Error", {}).get("Code") in THROTTLED:
            # DynamoDB refused for load, past the SDK's retries: nothing was written.
            logger.warning("Throttled", extra={"operation": exc.operation_name})
            response = error_response(503, "The service is busy right now; nothing was changed. Send it again shortly.")
            response.headers["Retry-After"] = "1"
            return response
        return _bug(exc)

    @app.exception_handler(Exception)
    def _bug(exc: Exception) -> Response:
        logger.exception("Unhandled error")
        return error_response(500, "Internal error; it has been logged. Please try again or report it.")
