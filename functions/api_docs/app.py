"""The API's OpenAPI document and its interactive page.

The document is merged from every function's routes at build time (`make openapi`, see
generate.py) and shipped as `openapi.json`: this function only reads files, so it imports nothing
beyond the standard library and starts in milliseconds. The page is Swagger UI, from the copy that
Powertools bundles (no CDN), with the document inlined.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@cache
def _document() -> str:
    return DOCUMENT.read_text(encoding="utf-8")


@cache
def _page() -> str:
    # find_spec of a top-level package locates it without importing it.
    locations = find_spec("aws_lambda_powertools").submodule_search_locations  # type: ignore[union-attr]
    assets = Path(next(iter(locations or []))) / "event_handler" / "openapi" / "swagger_ui"
    script = (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (assets / "swagger-ui.min.css").read_text(encoding="utf-8")
    title = json.loads(_document())["info"]["title"]
    spec = _document().replace("</", "<\\/")  # the document must not close the script element
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<div id="swagger-ui">Loading…</div>
<script>{script}</script>
<script>
SwaggerUIBundle({{
  dom_id: "#swagger-ui",
  spec: {spec},
  docExpansion: "list",
  deepLinking: true,
  filter: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
}});
</script>
</body>
</html>
"""


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = event.get("rawPath", "")
    if path.endswith("/openapi.json"):
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"} | _HEADERS, "body": _document()}
    if path.endswith("/docs"):
        return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"} | _HEADERS, "body": _page()}
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": f"No route for {path}."}),
    }
