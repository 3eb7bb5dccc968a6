"""Postback macros: `{name}` placeholders rendered safely for where they stand.

In a URL a value is percent-encoded (it cannot add, change or remove a parameter); in a JSON body it
becomes part of a JSON string (the encoder escapes it); in a form body it is form-encoded; in a
header its control characters are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from lead_events.errors import InvalidInput
from lead_events.models.macros import BUILTIN_MACROS

MACRO = re.compile(r"\{([a-z][a-z0-9_]{0,63})\}")

SAMPLE_VALUES: dict[str, str] = {
    "transaction_id": "TEST-TXN-0001",
    "lead_id": "TEST-LEAD-0001",
    "campaign_id": "test_campaign",
    "affiliate_id": "test_affiliate",
    "sub1": "s1",
    "sub2": "s2",
    "sub3": "s3",
    "sub4": "s4",
    "sub5": "s5",
    "revenue": "12.50",
    "payout": "4.00",
    "log_id": "test-log-0001",
}


def macros_in(template: Any) -> set[str]:
    """Every macro name used in a template: a string, or the strings inside a JSON-like value."""
    if isinstance(template, str):
        return set(MACRO.findall(template))
    if isinstance(template, Mapping):
        return set().union(*(macros_in(k) | macros_in(v) for k, v in template.items())) if template else set()
    if isinstance(template, list):
        return set().union(*(macros_in(v) for v in template)) if template else set()
    return set()


def check_macros(templates: Iterable[Any], known: Iterable[str] = ()) -> None:
    """Refuse templates that use a macro that is neither built in nor in `known` (custom fields)."""
    allowed = set(BUILTIN_MACROS) | set(known)
    unknown = sorted(set().union(*(macros_in(t) for t in templates)) - allowed)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        raise InvalidInput(f"Unknown macro(s) {names}. GET /macros lists the macros you can use.")


def render_url(template: str, values: Mapping[str, str]) -> str:
    return MACRO.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), template)


def render_text(template: str, values: Mapping[str, str]) -> str:
    return MACRO.sub(lambda m: values.get(m.group(1), ""), template)


def _render_json(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return render_text(template, values)
    if isinstance(template, Mapping):
        return {render_text(str(k), values): _render_json(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_render_json(v, values) for v in template]
    return template


def render_body(template: Mapping[str, Any], body_format: str, values: Mapping[str, str]) -> tuple[str, str]:
    """The body and its content type."""
    rendered = _render_json(template, values)
    if body_format == "form":
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in rendered.items()}
        return urlencode(fields), "application/x-www-form-urlencoded"
    return json.dumps(rendered, ensure_ascii=False, separators=(",", ":")), "application/json"


def render_headers(headers: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    return {
        name: "".join(c for c in render_text(value, values) if ord(c) >= 32 and ord(c) != 127)
        for name, value in headers.items()
    }
