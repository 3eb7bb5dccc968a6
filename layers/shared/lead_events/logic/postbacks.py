"""Saving postbacks (with their URL and macros checked) and Send Test."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, ValidationError

from lead_events.clock import utc_now
from lead_events.errors import ConcurrentChange, InvalidInput
from lead_events.http.guard import url_problem
from lead_events.logic.deliveries import render_delivery
from lead_events.logic.macros import SAMPLE_VALUES, check_macros, render_url
from lead_events.logic.signing import check_secret, new_secret, signature_headers
from lead_events.models.common import Model
from lead_events.models.logs import ERROR, ERROR_DETAIL
from lead_events.models.postbacks import Postback, PostbackCreate, PostbackCreated, PostbackUpdate
from lead_events.models.targets import PostbackTarget
from lead_events.store.postbacks import MAX_POSTBACKS_PER_EVENT, PostbackStore


class RenderedRequest(Model):
    method: str
    url: str
    headers: dict[str, str]
    body: str | None


class TestOutcome(Model):
    ok: bool
    status_code: int | None
    elapsed_ms: int
    response_body: str | None = Field(description="The first 2 KiB of the answer.")
    error: str | None = Field(description=ERROR)
    error_detail: str | None = Field(None, description=ERROR_DETAIL)


class TestResult(Model):
    request: RenderedRequest
    outcome: TestOutcome


def _validated(values: dict[str, Any], custom_macros: set[str]) -> PostbackCreate:
    """Full validation of a postback's fields (used for PATCH too, on the merged result)."""
    try:
        postback = PostbackCreate.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{where}: {first['msg'].removeprefix('Value error, ')}") from exc
    check_postback_target(postback.url, postback.body, postback.headers, custom_macros)
    return postback


def check_postback_target(
    url: str, body: dict[str, Any] | None, headers: dict[str, str], custom_macros: set[str] | None = None
) -> None:
    """Refuse unknown macros, and URLs that are not http(s) or point at an internal address."""
    check_macros([url, body or {}, headers], custom_macros or set())
    problem = url_problem(render_url(url, SAMPLE_VALUES))
    if problem:
        raise InvalidInput(f"url {problem}.")


def _secret(requested: str | None) -> tuple[str | None, str | None]:
    """The secret to store and the one to show (only a generated one is shown)."""
    if requested is None:
        return None, None
    if requested == "generate":
        secret = new_secret()
        return secret, secret
    return check_secret(requested), None


def create_postback(
    store: PostbackStore, org_id: str, event: str, data: PostbackCreate, custom_macros: set[str]
) -> PostbackCreated:
    """Save a new postback; `custom_macros` are the custom fields campaigns declare for the event."""
    _validated(data.model_dump(), custom_macros)
    if store.count(org_id, event) >= MAX_POSTBACKS_PER_EVENT:
        raise InvalidInput(f"An event can have at most {MAX_POSTBACKS_PER_EVENT} postbacks.")
    stored_secret, shown_secret = _secret(data.signing_secret)
    now = utc_now()
    values = {
        **data.model_dump(mode="json", exclude={"signing_secret"}),
        "id": secrets.token_hex(6),
        "event": event,
        "signing_secret": stored_secret,
        "created_at": now,
        "updated_at": now,
    }
    store.create(org_id, values)
    return PostbackCreated(**Postback.of(PostbackTarget.of(values)).model_dump(), signing_secret=shown_secret)


CHANGE_ATTEMPTS = 3  # a change decided on a postback that changed meanwhile is decided again


def update_postback(
    store: PostbackStore,
    org_id: str,
    event: str,
    postback_id: str,
    changes: PostbackUpdate,
    custom_macros: set[str],
) -> PostbackCreated:
    """Apply a PATCH: the fields it names, validated with the rest of the postback as stored."""
    update = changes.changes()
    for _ in range(CHANGE_ATTEMPTS):
        current = store.get(org_id, event, postback_id)
        stored = vars(current)
        merged = {k: stored[k] for k in PostbackCreate.model_fields if k != "signing_secret"} | {
            k: v for k, v in update.items() if k != "signing_secret"
        }
        _validated({k: v for k, v in merged.items() if v is not None or k in update}, custom_macros)
        valid = PostbackCreate.model_validate({k: v for k, v in merged.items() if v is not None}).model_dump(
            mode="json", exclude={"signing_secret"}
        )
        fields: dict[str, Any] = {k: valid.get(k) for k in update if k != "signing_secret"}
        shown_secret = None
        if "signing_secret" in update:
            fields["signing_secret"], shown_secret = _secret(update["signing_secret"])
        fields["updated_at"] = utc_now()
        if update.get("enabled") is True:
            # Enabling again clears an automatic disabling and its run of failures.
            fields |= {"disabled_reason": None, "disabled_at": None, "consecutive_failures": 0}
        if store.change(org_id, current, fields):
            # Read back: the fields it did not change may have moved meanwhile (an automatic disabling).
            changed = store.get(org_id, event, postback_id)
            return PostbackCreated(**Postback.of(changed).model_dump(), signing_secret=shown_secret)
    raise ConcurrentChange()


def get_postback(store: PostbackStore, org_id: str, event: str, postback_id: str) -> Postback:
    return Postback.of(store.get(org_id, event, postback_id))


def send_test(store: PostbackStore, org_id: str, event: str, postback_id: str) -> TestResult:
    """Fire the postback now with sample values, through the dispatcher's client, and report."""
    postback = store.get(org_id, event, postback_id)
    return fire_test(postback, event, postback.signing_secret)


def fire_test(postback: PostbackTarget, event: str, signing_secret: str | None) -> TestResult:
    """Render `postback` with sample values, send it through the dispatcher's client, report."""
    now = datetime.now(UTC)
    values = SAMPLE_VALUES | {
        "event_name": event,
        "timestamp": str(int(now.timestamp())),
        "iso_timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    # A fresh id: a receiver that drops deliveries it has seen would drop a second test otherwise.
    test_id = f"test_{secrets.token_hex(6)}"
    delivery = render_delivery(postback, values | {"delivery_id": test_id})
    headers = dict(delivery["headers"]) | {"webhook-id": test_id}
    if signing_secret and delivery["method"] == "POST":
        headers |= signature_headers(signing_secret, test_id, now, delivery["body"] or "")
    from lead_events.http.client import send  # requests is imported only where something is sent

    outcome = send(
        delivery["method"], delivery["url"], headers, delivery["body"], delivery["success_match"], delivery_id=test_id
    )
    return TestResult(
        request=RenderedRequest(method=delivery["method"], url=delivery["url"], headers=headers, body=delivery["body"]),
        outcome=TestOutcome(
            ok=outcome.ok,
            status_code=outcome.status_code,
            elapsed_ms=outcome.elapsed_ms,
            response_body=outcome.response_body,
            error=outcome.error,
            error_detail=outcome.error_detail,
        ),
    )
