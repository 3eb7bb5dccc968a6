"""The API's OpenAPI document and its interactive page, merged from every function's routes.

This function is packaged with the whole `functions/` folder so it can read the other resolvers.
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from lead_events.api.context import SECURITY_SCHEMES
from lead_events.observability import logger

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent
TITLE = "lead-events API"
DESCRIPTION = (
    "Event management and postback engine for lead-distribution businesses. "
    "Management routes need `Authorization: Bearer <api key>`."
)

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
app.enable_swagger(path="/docs", title=TITLE, description=DESCRIPTION)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(200, content_types.APPLICATION_JSON, app.get_openapi_merge_json_schema())


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
