"""The web console: a single-page app served as static files from this function's package.

Only the standard library is imported, so a cold start costs a few milliseconds. The page talks
to the same HTTP API with the key the operator pastes; nothing here needs the key.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX = "index.html"

# The routes of template.yaml this function answers (checked by tests/template). API Gateway sends
# /console/ to the /console route (an HTTP API route cannot end in a slash); both answer the page.
ROUTES = {("GET", "/console"), ("GET", "/console/{proxy+}"), ("GET", "/favicon.ico")}
# Browsers ask the site's root for its icon whatever page they show (the API's answers, /docs).
# favicon.ico is logo.svg drawn at 32 px, as one PNG image in an ICO file.
ROOT_FILES = {"/favicon.ico": "favicon.ico"}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
BINARY = {".ico"}

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # No hashed file names (no build step): browsers revalidate with the ETag, a 304 costs no body.
    "Cache-Control": "no-cache",
}


@cache
def _asset(name: str) -> tuple[str, str, str, bool] | None:
    """(body, content type, ETag, whether the body is base64) of a file directly in static/ or one
    folder below; None otherwise."""
    parts = name.split("/")
    if not 1 <= len(parts) <= 2 or any(not p or p.startswith(".") or "\\" in p for p in parts):
        return None
    content_type = CONTENT_TYPES.get(Path(parts[-1]).suffix)
    path = STATIC_DIR.joinpath(*parts)
    if content_type is None or not path.is_file() or STATIC_DIR not in path.resolve().parents:
        return None
    data = path.read_bytes()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    if path.suffix in BINARY:
        return base64.b64encode(data).decode(), content_type, etag, True
    return data.decode("utf-8"), content_type, etag, False


def _answer(
    status: int, body: str, content_type: str, extra: dict[str, str] | None = None, *, base64_body: bool = False
) -> dict[str, Any]:
    headers = {"Content-Type": content_type, **SECURITY_HEADERS, **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": base64_body}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = (event.get("pathParameters") or {}).get("proxy") or ROOT_FILES.get(event.get("rawPath", ""), INDEX)
    found = _asset(path)
    if found is None:
        return _answer(404, "Not found\n", "text/plain; charset=utf-8")
    body, content_type, etag, is_base64 = found
    if (event.get("headers") or {}).get("if-none-match") == etag:
        return _answer(304, "", content_type, {"ETag": etag})
    return _answer(200, body, content_type, {"ETag": etag}, base64_body=is_base64)
