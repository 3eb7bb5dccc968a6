"""The web console: a single-page app served as static files from this function's package.

Only the standard library is imported, so a cold start costs a few milliseconds. The page talks
to the same HTTP API with the key the operator pastes; nothing here needs the key.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX = "index.html"

# The routes of template.yaml this function answers (checked by tests/template).
ROUTES = {("GET", "/console"), ("GET", "/console/{proxy+}")}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

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
def _asset(name: str) -> tuple[str, str, str] | None:
    """(body, content type, ETag) of a file directly in static/ or one folder below; None otherwise."""
    parts = name.split("/")
    if not 1 <= len(parts) <= 2 or any(not p or p.startswith(".") or "\\" in p for p in parts):
        return None
    content_type = CONTENT_TYPES.get(Path(parts[-1]).suffix)
    path = STATIC_DIR.joinpath(*parts)
    if content_type is None or not path.is_file() or STATIC_DIR not in path.resolve().parents:
        return None
    body = path.read_text(encoding="utf-8")
    return body, content_type, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def _answer(status: int, body: str, content_type: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    headers = {"Content-Type": content_type, **SECURITY_HEADERS, **(extra or {})}
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = (event.get("pathParameters") or {}).get("proxy") or INDEX
    found = _asset(path)
    if found is None:
        return _answer(404, "Not found\n", "text/plain; charset=utf-8")
    body, content_type, etag = found
    if (event.get("headers") or {}).get("if-none-match") == etag:
        return _answer(304, "", content_type, {"ETag": etag})
    return _answer(200, body, content_type, {"ETag": etag})
