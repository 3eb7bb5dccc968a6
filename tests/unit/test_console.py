"""The console function: static files with their content types, security headers and caching."""

from __future__ import annotations

import ast
import base64
from pathlib import Path
from typing import Any

import pytest

from console.app import CONTENT_SECURITY_POLICY, STATIC_DIR, lambda_handler
from tests.conftest import ROOT, lambda_context, sample_event


def _get(proxy: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = sample_event("console", "console_asset" if proxy else "console_page")
    event["pathParameters"] = {"proxy": proxy} if proxy else None
    event["headers"] = headers or {}
    return lambda_handler(event, lambda_context())


def test_the_page_is_html_with_the_strict_policy_and_security_headers() -> None:
    answer = _get(None)
    assert answer["statusCode"] == 200
    headers = answer["headers"]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-cache" and headers["ETag"].startswith('"')
    assert "<title>lead-events console</title>" in answer["body"]


@pytest.mark.parametrize(
    ("proxy", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("lib/api.js", "text/javascript; charset=utf-8"),
        ("screens/logs.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("index.html", "text/html; charset=utf-8"),
    ],
)
def test_each_asset_has_its_content_type(proxy: str, content_type: str) -> None:
    answer = _get(proxy)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == content_type
    assert answer["body"] == (STATIC_DIR / proxy).read_text()
    assert answer["headers"]["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_page_with_a_trailing_slash_is_the_page() -> None:
    # API Gateway sends /console/ to the /console route, with the path as the browser sent it
    event = sample_event("console", "console_page")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/console/"
    answer = lambda_handler(event, lambda_context())
    assert answer["statusCode"] == 200
    assert "<title>lead-events console</title>" in answer["body"]


def test_the_icon_at_the_root_is_the_logo_as_an_ico_file() -> None:
    answer = lambda_handler(sample_event("console", "favicon"), lambda_context())
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "image/x-icon"
    assert answer["isBase64Encoded"] is True
    icon = base64.b64decode(answer["body"])
    assert icon == (STATIC_DIR / "favicon.ico").read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00" and icon[22:30] == b"\x89PNG\r\n\x1a\n"  # one PNG image in an ICO
    linked = (STATIC_DIR / "index.html").read_text()
    assert '<link rel="icon" href="/favicon.ico"' in linked and 'href="/console/logo.svg"' in linked


def test_a_matching_etag_is_answered_304_without_a_body() -> None:
    etag = _get("app.js")["headers"]["ETag"]
    answer = _get("app.js", {"if-none-match": etag})
    assert answer["statusCode"] == 304 and answer["body"] == ""
    assert _get("app.js", {"if-none-match": '"stale"'})["statusCode"] == 200


@pytest.mark.parametrize(
    "proxy",
    [
        "nothing.js",
        "../app.py",
        "screens/../../app.py",
        "..%2Fapp.py",
        "/etc/passwd",
        "lib/../app.js",
        "lib/sub/deeper.js",
        ".hidden.js",
        "app.py",
        "screens",
        "lib\\api.js",
        "",
    ],
)
def test_unknown_files_and_path_traversal_are_404(proxy: str) -> None:
    answer = _get(proxy) if proxy else _get(None)
    if not proxy:  # no proxy at all is the page itself
        assert answer["statusCode"] == 200
        return
    assert answer["statusCode"] == 404
    assert answer["headers"]["Content-Type"].startswith("text/plain")
    assert answer["headers"]["X-Content-Type-Options"] == "nosniff"


def test_the_function_imports_only_the_standard_library() -> None:
    import sys

    tree = ast.parse((ROOT / "functions" / "console" / "app.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if not (isinstance(node, ast.ImportFrom) and node.module is None)
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_no_page_carries_inline_scripts_or_styles() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    assert "<style" not in html and " style=" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])
    for path in Path(STATIC_DIR).rglob("*.js"):
        text = path.read_text()
        assert "innerHTML" not in text and "eval(" not in text, path
