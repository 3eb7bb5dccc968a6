"""The one place that owns logging and metrics; settings come from POWERTOOLS_* variables.

No Tracer here on purpose: it imports the X-Ray SDK (~250 ms of cold start) even when tracing is off.
"""

import warnings

from aws_lambda_powertools import Logger, Metrics

# Routes that publish no metric of their own are normal; the warning would only add noise to logs.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
metrics = Metrics()
