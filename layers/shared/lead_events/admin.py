"""Administration from the command line: `python -m lead_events.admin create-org --name NAME`.

Talks to whatever DynamoDB boto3 is pointed at: the deployed stack's table (CONFIG_TABLE, its
ConfigTableName output, with the usual AWS credentials) or, with `--local .local/dev.json`, the
running local stack's (the file names its endpoint and table).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lead_events.config import SettingsError
from lead_events.errors import InvalidInput


def _use_local_stack(dev_json: Path) -> str:
    dev = json.loads(dev_json.read_text())
    os.environ.setdefault("AWS_ENDPOINT_URL", dev["aws_endpoint_url"])
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if dev.get("config_table"):  # the local stack's own table, whatever CONFIG_TABLE says for AWS
        os.environ["CONFIG_TABLE"] = dev["config_table"]
    return str(dev["api_url"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lead_events.admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-org", help="create an organization and its first API key")
    create.add_argument("--name", required=True)
    create.add_argument("--api-url", default=os.environ.get("API_URL"), help="base URL of the deployed API")
    create.add_argument("--local", type=Path, help="the local stack's dev.json, when it is running")
    args = parser.parse_args(argv)

    api_url = args.api_url
    if args.local and not os.environ.get("AWS_ENDPOINT_URL"):
        api_url = api_url or _use_local_stack(args.local)
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
        created = create_organization(org_store(), args.name, api_url)
    except InvalidInput as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps(created.model_dump()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
