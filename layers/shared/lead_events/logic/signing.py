"""Standard Webhooks signatures for POST postbacks with a signing secret."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from lead_events.errors import InvalidInput

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """The secret if it is a usable Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes)."""
    try:
        raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as exc:
        raise InvalidInput("signing_secret must be 'whsec_' followed by base64, or 'generate'.") from exc
    if not secret.startswith(SECRET_PREFIX) or not 24 <= len(raw) <= 64:
        raise InvalidInput("signing_secret must be 'whsec_' followed by the base64 of 24 to 64 random bytes.")
    return secret


def signature_headers(secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature for `body`.

    `message_id` is the delivery's id that http/client.py send() is given: it sends webhook-id on
    every request, signed or not, and refuses headers whose webhook-id is another one.
    """
    from standardwebhooks import Webhook  # here: an import only signed postbacks need

    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
    }
