"""Administration from the command line: `python -m admin create-org --name NAME` (`make org`).

Talks to whatever DynamoDB boto3 is pointed at: the deployed stack's table (CONFIG_TABLE, its
ConfigTableName output, with the usual AWS credentials) or, with `--local .local/dev.json`, the
running local stack's (the file names its endpoint and table). It lives outside the layer: finding
an organization by name is a Scan, which no request path may make.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lead_events.config import SettingsError
from lead_events.errors import LeadEventsError


def _use_local_stack(dev_json: Path) -> str:
    """Point boto3 at the running local stack's embedded AWS and table; its API URL."""
    dev = json.loads(dev_json.read_text())
    # The local stack's endpoint and table, whatever the environment says for AWS (AWS_ENDPOINT_URL may be
    # set for the local stack itself, or for another emulator).
    os.environ["AWS_ENDPOINT_URL"] = dev["aws_endpoint_url"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if dev.get("config_table"):
        os.environ["CONFIG_TABLE"] = dev["config_table"]
    return str(dev["api_url"])


def _organizations_named(name: str) -> list[str]:
    """The ids of the organizations called `name` (case and spacing aside): a Scan of the configuration table.

    Keys start with the organization, so no item can index the names; with botocore's full data (the
    layer's trimmed copy has no Scan, as nothing deployed may scan).
    """
    from botocore.session import Session

    db = Session().create_client("dynamodb")
    wanted = " ".join(name.split()).casefold()
    found: list[str] = []
    pages = db.get_paginator("scan").paginate(
        TableName=os.environ["CONFIG_TABLE"],
        FilterExpression="#type = :organization",
        ProjectionExpression="org_id, #name",
        ExpressionAttributeNames={"#type": "type", "#name": "name"},
        ExpressionAttributeValues={":organization": {"S": "organization"}},
    )
    for page in pages:
        for item in page.get("Items", []):
            if " ".join(item.get("name", {}).get("S", "").split()).casefold() == wanted:
                found.append(item["org_id"]["S"])
    return found


def _aws_problem(exc: Exception) -> str | None:
    """One line for what stops boto3 from reaching the table (no region, no credentials, no endpoint)."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoRegionError):
        return "No AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or a profile with a region) to the stack's."
    if isinstance(exc, NoCredentialsError):
        return "No AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
    if isinstance(exc, EndpointConnectionError):
        return f"Cannot reach {exc.kwargs.get('endpoint_url', 'DynamoDB')}: is the stack (or `make local`) running?"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"DynamoDB refused: {error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-org", help="create an organization and its first API key")
    create.add_argument("--name", required=True)
    create.add_argument("--api-url", default=os.environ.get("API_URL"), help="base URL of the deployed API")
    create.add_argument("--local", type=Path, help="the local stack's dev.json, when it is running")
    create.add_argument(
        "--allow-duplicate-name", action="store_true", help="create it even if an organization has this name"
    )
    args = parser.parse_args(argv)

    api_url = args.api_url
    if args.local:
        api_url = _use_local_stack(args.local)
    if not api_url:
        parser.error("say where the API is: API_URL=https://... (the stack's ApiUrl output)")
    if not os.environ.get("CONFIG_TABLE"):
        parser.error(
            "say which table: CONFIG_TABLE=... (the stack's ConfigTableName output); with --local, the local"
            " stack's dev.json names it (restart `make local` if it has no config_table)"
        )

    from lead_events.logic.orgs import create_organization
    from lead_events.wiring import org_store

    try:
        taken_by = None if args.allow_duplicate_name else _organizations_named
        created = create_organization(org_store(), args.name, api_url, taken_by=taken_by)
    except LeadEventsError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:
        if (problem := _aws_problem(exc)) is None:
            raise
        print(problem, file=sys.stderr)
        return 1
    print(json.dumps(created.model_dump()))
    return 0
