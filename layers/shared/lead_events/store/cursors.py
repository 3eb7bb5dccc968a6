"""Page cursors: a small JSON object in base64url (no padding), opaque to the client.

Every listing's cursor goes through this one codec; each listing names the fields of its cursors
and checks their values. A cursor never holds a partition key: the caller's organization rebuilds
it, so a cursor cannot lead into another tenant's data.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from lead_events.errors import InvalidCursor


def encode(fields: dict[str, str | None]) -> str:
    """The cursor that carries `fields`."""
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def decode(cursor: str, *names: str) -> list[Any]:
    """The values of `names` in a cursor, in that order; InvalidCursor unless it is an encoded object with them all.

    The values are as the client sent them: the caller checks each one.
    """
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return [value[name] for name in names]
    except (ValueError, TypeError, KeyError) as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise InvalidCursor() from exc
