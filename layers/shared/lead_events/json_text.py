"""Parsing JSON a client sent, with every reason it cannot be read said in words the client can act on.

`json.loads` alone accepts NaN and Infinity (not JSON numbers, and nothing this API can store) and
raises a bare ValueError, naming a Python setting, for an integer longer than Python converts.
"""

from __future__ import annotations

import json
import sys
from typing import Any


class NotJson(ValueError):
    """The text is not JSON this API reads; the message says why."""


class _NotJsonNumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJsonNumber(f"{name} is not a JSON number")


def loads(text: str) -> Any:
    """The JSON value of `text`, or NotJson with the reason.

    Nesting too deep for the parser stays a RecursionError: the API answers it 400 wherever it arises.
    """
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise NotJson(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except _NotJsonNumber as exc:
        raise NotJson(str(exc)) from exc
    except ValueError as exc:  # int() refuses integers longer than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        raise NotJson(f"an integer has more than {limit} digits; send such a number as a string") from exc
