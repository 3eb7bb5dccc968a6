"""An HTTP API (payload format 2.0) in front of the local functions, as API Gateway would be.

Routes, authorizers and their caching come from the template. Answers that API Gateway itself
gives (no route, missing identity, authorizer denial or error) have API Gateway's shape.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from local.lambdas import FunctionPool, FunctionTimedOut
from local.template import Authorizer, Route, Stack

# An HTTP API waits at most 30 s for its integration (API Gateway's quota, not adjustable).
INTEGRATION_TIMEOUT = 30.0
_TEXT_TYPES = re.compile(r"^(text/|application/(json|.*\+json|x-www-form-urlencoded|xml|javascript))", re.I)


def _gateway_answer(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


class _CompiledRoute:
    def __init__(self, route: Route) -> None:
        self.route = route
        pattern = ""
        self.literal_segments = 0
        self.greedy = False
        for segment in route.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("+}"):
                pattern += f"/(?P<{segment[1:-2]}>.+)"
                self.greedy = True
            elif segment.startswith("{") and segment.endswith("}"):
                pattern += f"/(?P<{segment[1:-1]}>[^/]+)"
            else:
                pattern += "/" + re.escape(segment) if segment else ""
                self.literal_segments += 1
        # As on AWS, a trailing slash still matches the route (/console/ is the /console route); the
        # function sees the path as sent. A greedy variable takes the slash into its value instead.
        self.regex = re.compile(f"^{pattern}/?$" if pattern and not self.greedy else f"^{pattern or '/'}$")
        self.route_key = f"{route.method} {route.path}" if route.method != "ANY" else f"ANY {route.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.method not in (method, "ANY"):
            return None
        found = self.regex.match(path)
        return found.groupdict() if found else None


class Gateway:
    """A WSGI application: request -> route -> authorizer -> function -> response."""

    def __init__(self, stack: Stack, pools: dict[str, FunctionPool]) -> None:
        self.stack = stack
        self.pools = pools
        # Most specific first: more literal segments, exact before greedy, explicit method before ANY.
        self.routes = sorted(
            (_CompiledRoute(r) for r in stack.routes),
            key=lambda c: (c.greedy, -c.literal_segments, c.route.method == "ANY"),
        )
        self._auth_cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._auth_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        for compiled in self.routes:
            params = compiled.match(request.method, request.path)
            if params is not None:
                break
        else:
            return _gateway_answer(404, "Not Found")
        event = self._event(request, compiled, params)
        route = compiled.route
        if route.authorizer:
            denial = self._authorize(self.stack.authorizers[route.authorizer], event)
            if denial is not None:
                return denial
        try:
            result = self.pools[route.function].invoke(event, limit=INTEGRATION_TIMEOUT)
        except FunctionTimedOut as exc:
            # Past the function's Timeout: a function error (500); past the HTTP API's own wait: 503.
            return (
                _gateway_answer(503, "Service Unavailable")
                if exc.by_caller
                else _gateway_answer(500, "Internal Server Error")
            )
        except Exception:  # a function error is API Gateway's 500, as on AWS
            import traceback

            traceback.print_exc()
            return _gateway_answer(500, "Internal Server Error")
        return self._response(result)

    def _authorize(self, authorizer: Authorizer, event: dict[str, Any]) -> Response | None:
        identity = tuple(event["headers"].get(h, "") for h in authorizer.identity_headers)
        if not all(identity):
            return _gateway_answer(401, "Unauthorized")
        cache_key = (authorizer.name, identity)
        now = time.monotonic()
        with self._auth_lock:
            cached = self._auth_cache.get(cache_key)
        if cached and cached[0] > now:
            result = cached[1]
        else:
            auth_event = {
                **event,
                "type": "REQUEST",
                "identitySource": list(identity),
                "routeArn": f"arn:aws:execute-api:us-east-1:123456789012:local/$default/{event['routeKey']}",
            }
            try:
                result = self.pools[authorizer.function].invoke(auth_event)
            except Exception as exc:
                if str(exc) == "Unauthorized":
                    return _gateway_answer(401, "Unauthorized")
                return _gateway_answer(500, "Internal Server Error")
            if authorizer.cache_seconds > 0:
                with self._auth_lock:
                    self._auth_cache[cache_key] = (now + authorizer.cache_seconds, result)
        if not isinstance(result, dict) or result.get("isAuthorized") is not True:
            return _gateway_answer(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": result.get("context") or {}}
        return None

    def _event(self, request: Request, compiled: _CompiledRoute, params: dict[str, str]) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            key = name.lower()
            if key != "cookie":
                headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        raw_query = request.query_string.decode("latin-1")
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query[name] = f"{query[name]},{value}" if name in query else value
        body_bytes = request.get_data()
        content_type = request.headers.get("content-type", "")
        is_text = not content_type or bool(_TEXT_TYPES.match(content_type))
        try:
            body = body_bytes.decode() if is_text else None
        except UnicodeDecodeError:
            body = None
        now = datetime.now(UTC)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": compiled.route_key,
            "rawPath": request.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": request.host,
                "domainPrefix": request.host.split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("user-agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": compiled.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        if request.cookies:
            event["cookies"] = [f"{k}={v}" for k, v in request.cookies.items(multi=True)]
        if query:
            event["queryStringParameters"] = query
        if params:
            event["pathParameters"] = params
        if body_bytes:
            if body is None:
                event["body"] = base64.b64encode(body_bytes).decode()
                event["isBase64Encoded"] = True
            else:
                event["body"] = body
        return event

    @staticmethod
    def _response(result: Any) -> Response:
        if not (isinstance(result, dict) and "statusCode" in result):
            # Payload 2.0: anything else is a 200 JSON answer of the returned value.
            return Response(json.dumps(result), status=200, content_type="application/json")
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        response = Response(data, status=int(result["statusCode"]))
        response.headers.remove("content-type")
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, str(value))
        for cookie in result.get("cookies") or []:
            response.headers.add("set-cookie", cookie)
        return response
