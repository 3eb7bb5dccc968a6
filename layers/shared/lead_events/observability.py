"""The one place that owns logging, metrics and tracing; settings come from POWERTOOLS_* variables.

Tracing is opt-in (`EnableTracing` in the template sets LEAD_EVENTS_TRACING=true): Powertools' Tracer
imports the X-Ray SDK, a large part of every cold start even when tracing is disabled, so when it is
off `traced` returns the handler untouched and the SDK is never imported.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics

# Routes that publish no metric of their own are normal; the warning would only add noise to logs.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()


def tracing_enabled() -> bool:
    return os.environ.get("LEAD_EVENTS_TRACING", "").lower() == "true"


def traced[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """X-Ray subsegments for the handler and its AWS and HTTP calls, when tracing is enabled."""
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer(patch_modules=["botocore", "requests"])
    return tracer.capture_lambda_handler(handler)  # type: ignore[return-value]
