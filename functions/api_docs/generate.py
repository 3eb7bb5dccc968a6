"""Write the API's OpenAPI document next to the docs function: `make openapi`.

The document is merged from every function's resolver (Powertools' OpenAPIMerge) here, at build
time, not in the function: merging imports every function and takes over a second, which every cold
start of the docs function would pay. A test fails when the committed files are not current.

Each operation then gets its summary and description from operations.py. Its answers are the ones its
route declares (`route_doc`): Powertools adds a 422 of its own shape to every route, which is taken
out again where the route does not declare one (a route without parameters or body cannot answer it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from api_docs.operations import OPERATIONS
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from lead_events.api.context import SECURITY_SCHEMES

HERE = Path(__file__).resolve().parent
FUNCTIONS_DIR = HERE.parent
DOCUMENT = HERE / "openapi.json"
TITLE = "lead-events API"
DESCRIPTION = (
    "Event management and postback engine for lead-distribution businesses. "
    "Management routes need `Authorization: Bearer <api key>`.\n\n"
    "Each operation lists the answers it gives to the request. Besides those, any route may answer 503 "
    "(with `Retry-After`) when the database is busy, and a route that writes may answer 409 when other "
    "requests keep changing the same data at that moment: in both cases nothing was changed, and "
    "sending the request again succeeds."
)
_POWERTOOLS_422 = "#/components/schemas/HTTPValidationError"


def render() -> str:
    """The OpenAPI document, as JSON text."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.configure_openapi_merge(
        path=str(FUNCTIONS_DIR),
        pattern="*/app.py",
        exclude=["api_docs/*", "**/__pycache__/**"],
        title=TITLE,
        version="0.1.0",
        description=DESCRIPTION,
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",
    )
    document = json.loads(app.get_openapi_merge_json_schema())
    _describe(document)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _describe(document: dict[str, Any]) -> None:
    """Put the texts of operations.py on the operations, and take out the 422s no route declared."""
    named = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            if name not in OPERATIONS:
                raise SystemExit(f"{name} has no summary: add it to functions/api_docs/operations.py")
            named.add(name)
            operation["summary"], operation["description"] = OPERATIONS[name]
            schema = operation["responses"].get("422", {}).get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref") == _POWERTOOLS_422:
                del operation["responses"]["422"]
    if stale := sorted(set(OPERATIONS) - named):
        raise SystemExit(f"operations.py describes routes that do not exist: {', '.join(stale)}")
    if _POWERTOOLS_422.rsplit("/", 1)[1] not in json.dumps(document["paths"]):
        for schema in ("HTTPValidationError", "ValidationError"):
            document["components"]["schemas"].pop(schema, None)


def main() -> int:
    DOCUMENT.write_text(render())
    print(f"Wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
