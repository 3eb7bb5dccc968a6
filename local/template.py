"""Reads template.yaml (the one source of truth) into what the local stack needs to run it.

Only the SAM features this project uses are understood; anything else is reported, not guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

REGION = "us-east-1"
ACCOUNT = "123456789012"
_SUB_VAR = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST ... or ANY
    path: str  # /events/{name}
    function: str  # logical id of the function
    authorizer: str | None  # name of the HttpApi authorizer, or None


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str
    identity_headers: tuple[str, ...]
    cache_seconds: int


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source mapping: `function` polls `queue` (logical ids)."""

    function: str
    queue: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int

    @property
    def module_file(self) -> Path:
        module, _, _attr = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def handler_attr(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass
class Stack:
    root: Path
    parameters: dict[str, Any]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> CreateTable kwargs
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> CreateQueue kwargs
    queue_sources: list[QueueSource] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    layer_dirs: list[Path] = field(default_factory=list)


class TemplateError(Exception):
    pass


class _Resolver:
    """Resolves Ref, Fn::Sub, Fn::GetAtt and Fn::Join against parameters and local physical names."""

    def __init__(self, resources: dict[str, Any], parameters: dict[str, Any], sqs_endpoint: str) -> None:
        self.resources = resources
        self.parameters = parameters
        self.sqs_endpoint = sqs_endpoint.rstrip("/")
        self.physical: dict[str, str] = {}

    def physical_name(self, logical_id: str) -> str:
        if logical_id in self.physical:
            return self.physical[logical_id]
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"Ref to unknown resource {logical_id}")
        props = resource.get("Properties", {})
        kind = resource["Type"]
        name_prop = {"AWS::DynamoDB::Table": "TableName", "AWS::SQS::Queue": "QueueName"}.get(kind)
        if name_prop and name_prop in props:
            name = str(self.resolve(props[name_prop]))
        else:
            name = f"{self.parameters.get('AppName', 'stack')}-{logical_id}"
        if kind == "AWS::SQS::Queue":
            name = f"{self.sqs_endpoint}/{ACCOUNT}/{name}"  # Ref of a queue is its URL
        self.physical[logical_id] = name
        return name

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "local",
            "AWS::Partition": "aws",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        service = {"AWS::DynamoDB::Table": "dynamodb", "AWS::SQS::Queue": "sqs"}.get(kind, "lambda")
        if attribute == "Arn":
            if service == "sqs":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name.rsplit('/', 1)[1]}"
            if service == "dynamodb":
                return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if attribute == "QueueName":
            return name.rsplit("/", 1)[1]
        raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute} is not supported locally")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                    return self.get_att(logical_id, attribute)
                if key == "Fn::Sub":
                    text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                    return _SUB_VAR.sub(lambda m: str(self._sub_var(m.group(1), extra)), text)
                if key == "Fn::Join":
                    sep, items = arg
                    return sep.join(str(self.resolve(item)) for item in items)
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def _sub_var(self, name: str, extra: dict[str, Any]) -> Any:
        if name in extra:
            return extra[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)


def _merge_globals(defaults: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in props.items():
        if key == "Environment":
            variables = {**defaults.get("Environment", {}).get("Variables", {}), **value.get("Variables", {})}
            merged["Environment"] = {"Variables": variables}
        else:
            merged[key] = value
    return merged


def load_stack(
    template_path: Path,
    overrides: dict[str, Any] | None = None,
    sqs_endpoint: str = f"https://sqs.{REGION}.amazonaws.com",
) -> Stack:
    """The tables, queues, functions, routes and authorizers of `template_path` (parameters at their defaults).

    `sqs_endpoint` is where queue URLs (a queue's Ref) point: the emulator's address locally.
    """
    template, matches = decode(str(template_path))
    if template is None:
        raise TemplateError(f"cannot read {template_path}: {matches}")
    root = template_path.resolve().parent
    parameters = {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}
    parameters.update(overrides or {})
    resources = template["Resources"]
    resolver = _Resolver(resources, parameters, sqs_endpoint)
    stack = Stack(root=root, parameters=parameters)
    function_globals = template.get("Globals", {}).get("Function", {})
    default_authorizer: str | None = None

    for logical_id, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            stack.tables[logical_id] = _table_kwargs(resolver.resolve(props), resolver.physical_name(logical_id))
        elif kind == "AWS::SQS::Queue":
            stack.queues[logical_id] = _queue_kwargs(resolver.resolve(props), resolver.physical_name(logical_id))
        elif kind == "AWS::Serverless::LayerVersion":
            stack.layer_dirs.append(root / props["ContentUri"])
        elif kind == "AWS::Serverless::Function":
            _add_function(stack, resolver, logical_id, _merge_globals(function_globals, props))
        elif kind == "AWS::Serverless::HttpApi":
            default_authorizer = _add_authorizers(stack, resolver, props)
    stack.routes = [
        Route(r.method, r.path, r.function, default_authorizer if r.authorizer == "__default__" else r.authorizer)
        for r in stack.routes
    ]
    return stack


def _table_kwargs(props: dict[str, Any], name: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            kwargs[key] = props[key]
    if "StreamSpecification" in props:  # CloudFormation enables the stream a view type is given for
        kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "TimeToLiveSpecification" in props:
        kwargs["_ttl"] = props["TimeToLiveSpecification"]
    return kwargs


def _queue_kwargs(props: dict[str, Any], url: str) -> dict[str, Any]:
    attributes = {
        key: json.dumps(value) if isinstance(value, dict) else str(value)
        for key, value in props.items()
        if key
        in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "RedrivePolicy",
            "MaximumMessageSize",
        )
    }
    return {"QueueName": url.rsplit("/", 1)[1], "Attributes": attributes}


def _add_function(stack: Stack, resolver: _Resolver, logical_id: str, props: dict[str, Any]) -> None:
    env = {k: str(v) for k, v in resolver.resolve(props.get("Environment", {}).get("Variables", {})).items()}
    stack.functions[logical_id] = Function(
        logical_id=logical_id,
        name=resolver.physical_name(logical_id),
        code_dir=stack.root / props["CodeUri"],
        handler=props["Handler"],
        environment=env,
        timeout=int(props.get("Timeout", 3)),
        memory=int(props.get("MemorySize", 128)),
    )
    for event in props.get("Events", {}).values():
        event_props = event.get("Properties", {})
        if event["Type"] == "SQS":
            queue_arn = event_props["Queue"]
            if not (isinstance(queue_arn, dict) and "Fn::GetAtt" in queue_arn):
                raise TemplateError(f"{logical_id}: an SQS event's Queue must be !GetAtt <Queue>.Arn to run locally")
            target = queue_arn["Fn::GetAtt"]
            stack.queue_sources.append(
                QueueSource(
                    function=logical_id,
                    queue=target[0] if isinstance(target, list) else target.split(".")[0],
                    batch_size=int(event_props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in event_props.get("FunctionResponseTypes", []),
                )
            )
        elif event["Type"] == "HttpApi":
            auth = event_props.get("Auth", {}).get("Authorizer")
            stack.routes.append(
                Route(
                    method=event_props.get("Method", "ANY").upper(),
                    path=event_props.get("Path", "/{proxy+}"),
                    function=logical_id,
                    authorizer=None if auth == "NONE" else (auth or "__default__"),
                )
            )


def _add_authorizers(stack: Stack, resolver: _Resolver, props: dict[str, Any]) -> str | None:
    """Record the API's authorizers; returns the name of its default one."""
    auth = props.get("Auth", {})
    for name, config in auth.get("Authorizers", {}).items():
        function_arn = config["FunctionArn"]
        if not (isinstance(function_arn, dict) and "Fn::GetAtt" in function_arn):
            raise TemplateError(f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn to run locally")
        target = function_arn["Fn::GetAtt"]
        function = target[0] if isinstance(target, list) else target.split(".")[0]
        identity = resolver.resolve(config.get("Identity", {}))
        stack.authorizers[name] = Authorizer(
            name=name,
            function=function,
            identity_headers=tuple(h.lower() for h in identity.get("Headers", [])),
            cache_seconds=int(identity.get("ReauthorizeEvery", 300)),
        )
    return auth.get("DefaultAuthorizer")
