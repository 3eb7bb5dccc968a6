"""The inbound postback URL: what affiliate networks and CRMs send, mapped to a trigger."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from lead_events import json_text
from lead_events.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from lead_events.logic.triggers import TriggerRequest
from lead_events.models.common import NAME_PATTERN, storable_json
from lead_events.models.leads import ID_PATTERN
from lead_events.models.triggers import MAX_FIELD_VALUE, MAX_FIELDS, Source

ALIASES = {
    "event": ("event", "event_id", "event_name"),
    "transaction_id": ("transaction_id", "tid", "click_id", "clickid"),
    "revenue": ("revenue", "amount", "payout"),
    "lead_id": ("lead_id",),
}
_ALL_ALIASES = {alias for names in ALIASES.values() for alias in names}
MAX_BODY = 64 * 1024


def parse_body(body: str | None, content_type: str) -> dict[str, Any]:
    """Parameters from a POST body: JSON object or form fields."""
    if not body:
        return {}
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"The body is larger than {MAX_BODY // 1024} KiB.")
    if content_type.lower().lstrip().startswith("multipart/"):
        raise UnsupportedMediaType("Send the parameters in the query string, as a form or as a JSON object.")
    if content_type.startswith("application/json") or body.lstrip().startswith("{"):
        try:
            parsed = json_text.loads(body)
        except json_text.NotJson as exc:
            raise InvalidInput(f"The body is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict):
            raise InvalidInput("A JSON body must be an object of parameters.")
        return parsed
    return dict(parse_qsl(body, keep_blank_values=True))


def _first(params: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = params.get(name)
        if value not in (None, ""):
            return value
    return None


def inbound_request(params: Mapping[str, Any]) -> TriggerRequest:
    """The trigger that the parameters describe; the parameters that are not aliases are custom fields."""
    event = _first(params, ALIASES["event"])
    if event is None:
        raise InvalidInput("Say which event happened: event=<name> (or event_id, event_name).")
    event = str(event)
    if not NAME_PATTERN.fullmatch(event):
        raise InvalidInput(f"'{event[:64]}' is not an event name (lowercase letters, digits, underscores).")
    transaction_id, lead_id = _first(params, ALIASES["transaction_id"]), _first(params, ALIASES["lead_id"])
    if transaction_id is None and lead_id is None:
        raise InvalidInput("Say which lead: transaction_id=<id> (or tid, click_id, clickid) or lead_id=<id>.")
    for label, value in (("transaction_id", transaction_id), ("lead_id", lead_id)):
        if value is not None and not re.fullmatch(ID_PATTERN, str(value)):
            raise InvalidInput(f"{label} '{str(value)[:128]}' is not a valid id.")
    revenue = _first(params, ALIASES["revenue"])
    fields = {k: v for k, v in params.items() if k not in _ALL_ALIASES}
    if len(fields) > MAX_FIELDS:
        raise InvalidInput(f"At most {MAX_FIELDS} custom fields may accompany an event.")
    for name, value in fields.items():
        if isinstance(value, dict | list):
            raise InvalidInput(f"Field '{name[:64]}' must be text, a number or a boolean.")
        if len(name) > 64 or (isinstance(value, str) and len(value) > MAX_FIELD_VALUE):
            raise InvalidInput(f"Field '{name[:64]}' is too long (names 64, values {MAX_FIELD_VALUE} characters).")
        try:
            storable_json(value)
        except ValueError as exc:
            raise InvalidInput(f"Field '{name[:64]}' {exc}.") from exc
    return TriggerRequest(
        event=event,
        source=Source.INBOUND_POSTBACK,
        transaction_id=str(transaction_id) if transaction_id is not None and lead_id is None else None,
        lead_id=str(lead_id) if lead_id is not None else None,
        fields=fields,
        revenue=parse_revenue(revenue),
    )


def parse_revenue(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        revenue = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"revenue must be a non-negative number, got '{str(value)[:32]}'.") from exc
    if not revenue.is_finite() or revenue < 0 or revenue > Decimal("1e12"):
        raise InvalidInput(f"revenue must be a non-negative number, got '{str(value)[:32]}'.")
    return revenue.quantize(Decimal("0.0001")) if int(revenue.as_tuple().exponent) < -4 else revenue
