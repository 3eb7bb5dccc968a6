"""Write the API's OpenAPI document next to the docs function: `make openapi`.

The document is merged from every function's resolver (Powertools' OpenAPIMerge) here, at build
time, not in the function: merging imports every function and takes over a second, which every cold
start of the docs function would pay. A test fails when the committed files are not current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from lead_events.api.context import SECURITY_SCHEMES

HERE = Path(__file__).resolve().parent
FUNCTIONS_DIR = HERE.parent
DOCUMENT = HERE / "openapi.json"
TITLE = "lead-events API"
DESCRIPTION = (
    "Event management and postback engine for lead-distribution businesses. "
    "Management routes need `Authorization: Bearer <api key>`."
)


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
    return json.dumps(json.loads(app.get_openapi_merge_json_schema()), indent=2, sort_keys=True) + "\n"


def main() -> int:
    DOCUMENT.write_text(render())
    print(f"Wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
