"""Write the trimmed copy of botocore's data that the clients load: `make botocore-data`.

Creating a client parses botocore's `endpoints.json` (1.2 MB, every service of every partition) and
the service's model (for DynamoDB 0.5 MB, mostly documentation) in each cold start. The copy
in `botocore_data/` keeps, of the same botocore version, every partition with only the services the
functions use, and each model with the OPERATIONS they call, the shapes those use, and no
documentation. Nothing else changes, so the clients resolve and serialize exactly as with the full
data (`lead_events.aws` uses the copy only when the installed botocore is the version it was made
from); a client of the project has no method for another operation. Tests fail when the committed
copy is not what this writes for the installed botocore, and when the code calls an operation
missing from OPERATIONS.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import botocore
from botocore.loaders import Loader

from lead_events.aws import SERVICES, TRIMMED_DATA, VERSION_FILE

# The operations the functions call (tests/unit/test_aws_clients.py finds every call in lead_events), and
# DynamoDB's DescribeEndpoints, which botocore's endpoint discovery looks for when it sets up a client.
OPERATIONS = {
    "dynamodb": (
        "BatchGetItem",
        "BatchWriteItem",
        "DescribeEndpoints",
        "GetItem",
        "PutItem",
        "Query",
        "TransactWriteItems",
        "UpdateItem",
    ),
    "sqs": ("SendMessageBatch",),
}


def _undocumented(definition: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in definition.items() if key != "documentation"}


def _shape_without_documentation(shape: dict[str, Any]) -> dict[str, Any]:
    """A shape minus its text and its references' (members, list member, map key and value)."""
    shape = _undocumented(shape)
    if "members" in shape:
        shape["members"] = {name: _undocumented(member) for name, member in shape["members"].items()}
    for reference in ("member", "key", "value"):
        if reference in shape:
            shape[reference] = _undocumented(shape[reference])
    return shape


def _operation_without_documentation(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation minus its text and its input, output and error references' text."""
    operation = _undocumented(operation)
    for reference in ("input", "output"):
        if reference in operation:
            operation[reference] = _undocumented(operation[reference])
    if "errors" in operation:
        operation["errors"] = [_undocumented(error) for error in operation["errors"]]
    return operation


def _shapes_used(model: dict[str, Any]) -> set[str]:
    """The shapes the model's operations refer to (input, output, errors), and those these refer to."""
    pending = [
        ref["shape"]
        for op in model["operations"].values()
        for ref in [op.get("input"), op.get("output"), *op.get("errors", [])]
        if ref
    ]
    used: set[str] = set()
    while pending:
        name = pending.pop()
        if name in used:
            continue
        used.add(name)
        shape = model["shapes"][name]
        references = [shape.get(key) for key in ("member", "key", "value")] + list(shape.get("members", {}).values())
        pending.extend(ref["shape"] for ref in references if ref)
    return used


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1) + "\n"  # key order kept: botocore reads these as ordered mappings


def render() -> dict[str, str]:
    """The trimmed data files, as {path relative to TRIMMED_DATA: JSON text}, from the installed botocore."""
    loader = Loader(include_default_search_paths=False, extra_search_paths=[Loader.BUILTIN_DATA_PATH])
    files = {VERSION_FILE: botocore.__version__ + "\n"}
    endpoints = loader.load_data("endpoints")
    for partition in endpoints["partitions"]:
        partition["services"] = {name: data for name, data in partition["services"].items() if name in SERVICES}
    files["endpoints.json"] = _dump(endpoints)
    for service in SERVICES:
        version = loader.determine_latest_version(service, "service-2")
        model = loader.load_data(f"{service}/{version}/service-2")
        model.pop("documentation", None)
        model["operations"] = {
            name: _operation_without_documentation(op)
            for name, op in model["operations"].items()
            if name in OPERATIONS[service]
        }
        used = _shapes_used(model)
        model["shapes"] = {
            name: _shape_without_documentation(shape) for name, shape in model["shapes"].items() if name in used
        }
        files[f"{service}/{version}/service-2.json"] = _dump(model)
    return files


def main() -> int:
    for name, text in render().items():
        path = TRIMMED_DATA / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
