"""Reads template.yaml (the one source of truth) into what the local stack needs to run it.

Only the SAM features this project uses are understood; anything else is reported, not guessed.
(Over 300 lines on purpose: every resource type's reader shares the resolver of intrinsic functions
and reports problems the same way.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "123456789012"
_SUB_VAR = re.compile(r"\$\{([^}]+)\}")
STREAM_LABEL_PLACEHOLDER = "local"  # what !GetAtt <Table>.StreamArn ends with here


class _NoValue:
    """What !Ref AWS::NoValue resolves to: the property or list item holding it is dropped."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


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
    max_concurrency: int | None = None  # ScalingConfig's MaximumConcurrency: at most this many pollers locally


@dataclass(frozen=True)
class StreamSource:
    """A DynamoDB stream event source mapping: `function` reads the stream of `table` (logical ids).

    The fields are the mapping's parameters (Lambda's services-ddb-params), at Lambda's defaults
    when the template leaves them out. -1 means infinite for the retry and age limits.
    """

    function: str
    table: str
    starting_position: str  # TRIM_HORIZON or LATEST
    batch_size: int = 100
    batching_window: int = 0  # MaximumBatchingWindowInSeconds
    filter_patterns: tuple[str, ...] = ()  # FilterCriteria's patterns (JSON text), ORed
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False  # BisectBatchOnFunctionError
    max_retry_attempts: int = -1
    max_record_age: int = -1  # MaximumRecordAgeInSeconds
    on_failure: str | None = None  # logical id of the SQS queue discarded batches are reported to
    enabled: bool = True


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    reserved_concurrency: int | None = None  # ReservedConcurrentExecutions: at most this many instances at once

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
    stream_sources: list[StreamSource] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    layer_dirs: list[Path] = field(default_factory=list)


class TemplateError(Exception):
    pass


class _Resolver:
    """Resolves Ref, Fn::Sub, Fn::GetAtt, Fn::Join and Fn::If against parameters, conditions and local names."""

    def __init__(
        self,
        resources: dict[str, Any],
        parameters: dict[str, Any],
        sqs_endpoint: str,
        conditions: dict[str, Any] | None = None,
    ) -> None:
        self.resources = resources
        self.parameters = parameters
        self.sqs_endpoint = sqs_endpoint.rstrip("/")
        self.conditions = conditions or {}
        self.physical: dict[str, str] = {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise TemplateError(f"unknown condition {name}")
        return self._holds(self.conditions[name])

    def _holds(self, expression: Any) -> bool:
        """A condition's value: Fn::Equals (compared as CloudFormation does, as strings), Fn::Not, Fn::And,
        Fn::Or and Condition."""
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, arg),) = expression.items()
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in arg)
                return _as_condition_text(left) == _as_condition_text(right)
            if key == "Fn::Not":
                return not self._holds(arg[0])
            if key == "Fn::And":
                return all(self._holds(item) for item in arg)
            if key == "Fn::Or":
                return any(self._holds(item) for item in arg)
        raise TemplateError(f"condition {expression!r} is not supported locally")

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
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        service = {"AWS::DynamoDB::Table": "dynamodb", "AWS::SQS::Queue": "sqs"}.get(kind, "lambda")
        if attribute == "StreamArn" and service == "dynamodb":
            if "StreamSpecification" not in self.resources[logical_id].get("Properties", {}):
                raise TemplateError(f"Fn::GetAtt {logical_id}.StreamArn: the table has no StreamSpecification")
            # The real ARN ends with the stream's label, a timestamp only known once the table exists
            # (DescribeTable's LatestStreamArn): nothing local reads this one, the pollers ask the table.
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}/stream/{STREAM_LABEL_PLACEHOLDER}"
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
                if key == "Fn::If":
                    condition, when_true, when_false = arg
                    return self.resolve(when_true if self.condition(condition) else when_false)
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        return value

    def _sub_var(self, name: str, extra: dict[str, Any]) -> Any:
        if name in extra:
            return extra[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)


def _as_condition_text(value: Any) -> str:
    """A value as Fn::Equals compares it: parameters are strings to CloudFormation (10 and "10" are equal)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _merge_globals(defaults: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in props.items():
        if key == "Environment":
            variables = {**defaults.get("Environment", {}).get("Variables", {}), **value.get("Variables", {})}
            merged["Environment"] = {"Variables": variables}
        else:
            merged[key] = value
    return merged


class _TemplateLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML with CloudFormation's short forms (`!Ref`, `!GetAtt a.b`, `!Sub`, `!If` ...) read as their long forms.

    On libyaml's parser where PyYAML has it (its wheels do): the template is read in milliseconds,
    not the 0.13 s of the pure-Python one, at every start of the local stack and in many tests.
    """


def _intrinsic(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"!{name} on a {type(node).__name__}", node.start_mark)
    if name in ("Ref", "Condition"):
        return {name: value}
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{name}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def read_template(template_path: Path) -> dict[str, Any]:
    """The template as a dict (PyYAML: the local stack does without cfn-lint and what it brings)."""
    try:
        template = yaml.load(template_path.read_text(), Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"cannot read {template_path}: {exc}") from exc
    if not isinstance(template, dict) or "Resources" not in template:
        raise TemplateError(f"{template_path} is not a template: it has no Resources")
    return template


def load_stack(
    template_path: Path,
    overrides: dict[str, Any] | None = None,
    sqs_endpoint: str = f"https://sqs.{REGION}.amazonaws.com",
) -> Stack:
    """The tables, queues, functions, routes and authorizers of `template_path` (parameters at their defaults).

    `sqs_endpoint` is where queue URLs (a queue's Ref) point: the emulator's address locally.
    """
    template = read_template(template_path)
    root = template_path.resolve().parent
    parameters = {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}
    parameters.update(overrides or {})
    resources = template["Resources"]
    resolver = _Resolver(resources, parameters, sqs_endpoint, template.get("Conditions"))
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
    if "StreamSpecification" in props:
        # CloudFormation's StreamSpecification names only the view type (a stream is on when it is there);
        # CreateTable's must say StreamEnabled. Its ResourcePolicy has nothing to do locally.
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
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
        reserved_concurrency=_reserved_concurrency(resolver, logical_id, props),
    )
    for event_name, event in props.get("Events", {}).items():
        event_props = event.get("Properties", {})
        if event["Type"] == "DynamoDB":
            stack.stream_sources.append(_stream_source(resolver, f"{logical_id}.{event_name}", logical_id, event_props))
        elif event["Type"] == "SQS":
            queue_arn = event_props["Queue"]
            if not (isinstance(queue_arn, dict) and "Fn::GetAtt" in queue_arn):
                raise TemplateError(f"{logical_id}: an SQS event's Queue must be !GetAtt <Queue>.Arn to run locally")
            target = queue_arn["Fn::GetAtt"]
            scaling = resolver.resolve(event_props.get("ScalingConfig", NO_VALUE))  # !If ... AWS::NoValue: none
            maximum = None if scaling is NO_VALUE else scaling.get("MaximumConcurrency")
            stack.queue_sources.append(
                QueueSource(
                    function=logical_id,
                    queue=target[0] if isinstance(target, list) else target.split(".")[0],
                    batch_size=int(event_props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in event_props.get("FunctionResponseTypes", []),
                    max_concurrency=None
                    if maximum is None
                    else _check_range(f"{logical_id}.{event_name}", "MaximumConcurrency", int(maximum), 2, 1000),
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


def _reserved_concurrency(resolver: _Resolver, logical_id: str, props: dict[str, Any]) -> int | None:
    """ReservedConcurrentExecutions, or None when the function has none (it may be !If ... AWS::NoValue)."""
    reserved = resolver.resolve(props.get("ReservedConcurrentExecutions", NO_VALUE))
    if reserved is NO_VALUE:
        return None
    if int(reserved) < 1:  # valid on Lambda, where it stops every invocation; a local pool would wait forever
        raise TemplateError(f"{logical_id}: ReservedConcurrentExecutions {reserved} is not supported locally")
    return int(reserved)


# A DynamoDB event's properties (SAM's DynamoDB event source, Lambda's services-ddb-params): the ones
# the local poller runs, the ones that change nothing locally, and the ones it would have to guess.
_STREAM_PROPERTIES = frozenset(
    {
        "Stream",
        "StartingPosition",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FilterCriteria",
        "FunctionResponseTypes",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "DestinationConfig",
        "Enabled",
    }
)
_STREAM_PROPERTIES_IGNORED = frozenset({"KmsKeyArn", "MetricsConfig"})
_MAX_FILTERS = 10  # 5 by default; a quota increase allows up to 10 (invocation-eventfiltering)


def _getatt_target(value: Any, attribute: str) -> str | None:
    """The logical id X of `!GetAtt X.<attribute>`, or None if `value` is anything else."""
    if not (isinstance(value, dict) and list(value) == ["Fn::GetAtt"]):
        return None
    target = value["Fn::GetAtt"]
    logical_id, att = target if isinstance(target, list) else target.split(".", 1)
    return str(logical_id) if att == attribute else None


def _check_range(where: str, name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise TemplateError(f"{where}: {name} must be between {low} and {high}, not {value}")
    return value


def _filter_keys(pattern: Any) -> set[str]:
    """The top-level keys a filter pattern tests ($or branches looked into)."""
    keys: set[str] = set()
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            for branch in value:
                keys |= _filter_keys(branch) if isinstance(branch, dict) else {"$or"}
        else:
            keys.add(key)
    return keys


def _stream_filters(where: str, criteria: Any) -> tuple[str, ...]:
    from moto.events.exceptions import InvalidEventPatternException
    from moto.events.models import EventPattern  # the matcher the poller uses (moto is what runs locally)

    filters = (criteria or {}).get("Filters", [])
    if len(filters) > _MAX_FILTERS:
        raise TemplateError(f"{where}: at most {_MAX_FILTERS} filters are allowed, not {len(filters)}")
    patterns = []
    for entry in filters:
        text = entry.get("Pattern") if isinstance(entry, dict) else None
        if not isinstance(text, str):
            raise TemplateError(f"{where}: every FilterCriteria filter needs a Pattern (a JSON string)")
        try:
            parsed = json.loads(text)
            EventPattern.load(text)
        except (ValueError, InvalidEventPatternException) as exc:
            raise TemplateError(f"{where}: filter pattern {text!r} is not valid: {exc}") from exc
        if not isinstance(parsed, dict):
            raise TemplateError(f"{where}: filter pattern {text!r} must be a JSON object")
        others = _filter_keys(parsed) - {"dynamodb"}
        if others:
            # with-ddb-filtering: "DynamoDB event source mappings only support filtering on the dynamodb key."
            raise TemplateError(
                f"{where}: filter pattern {text!r} tests {sorted(others)}; a DynamoDB event source "
                "can only filter on the dynamodb key"
            )
        patterns.append(text)
    return tuple(patterns)


def _stream_source(resolver: _Resolver, where: str, function: str, raw: dict[str, Any]) -> StreamSource:
    """A DynamoDB event as Lambda would run it; anything the local poller cannot honour is an error."""
    unknown = set(raw) - _STREAM_PROPERTIES - _STREAM_PROPERTIES_IGNORED - {"ParallelizationFactor"}
    if unknown:
        raise TemplateError(f"{where}: DynamoDB event properties {sorted(unknown)} are not supported locally")
    table = _getatt_target(raw.get("Stream"), "StreamArn")
    if table is None:
        raise TemplateError(f"{where}: a DynamoDB event's Stream must be !GetAtt <Table>.StreamArn to run locally")
    table_resource = resolver.resources.get(table, {})
    if table_resource.get("Type") != "AWS::DynamoDB::Table":
        raise TemplateError(f"{where}: Stream names {table}, which is not an AWS::DynamoDB::Table")
    if "StreamSpecification" not in table_resource.get("Properties", {}):
        raise TemplateError(f"{where}: table {table} has no StreamSpecification, so no stream to read")
    props = resolver.resolve({k: v for k, v in raw.items() if k not in ("Stream", "DestinationConfig")})
    if int(props.get("ParallelizationFactor", 1)) != 1:
        raise TemplateError(f"{where}: ParallelizationFactor other than 1 is not supported locally")
    position = props.get("StartingPosition")
    if position not in ("TRIM_HORIZON", "LATEST"):
        raise TemplateError(f"{where}: StartingPosition must be TRIM_HORIZON or LATEST, not {position!r}")
    response_types = props.get("FunctionResponseTypes", [])
    if set(response_types) - {"ReportBatchItemFailures"}:
        raise TemplateError(f"{where}: FunctionResponseTypes can only hold ReportBatchItemFailures")
    max_age = int(props.get("MaximumRecordAgeInSeconds", -1))
    if max_age != -1:
        _check_range(where, "MaximumRecordAgeInSeconds", max_age, 60, 604_800)
    return StreamSource(
        function=function,
        table=table,
        starting_position=position,
        batch_size=_check_range(where, "BatchSize", int(props.get("BatchSize", 100)), 1, 10_000),
        batching_window=_check_range(
            where, "MaximumBatchingWindowInSeconds", int(props.get("MaximumBatchingWindowInSeconds", 0)), 0, 300
        ),
        filter_patterns=_stream_filters(where, props.get("FilterCriteria")),
        report_batch_item_failures="ReportBatchItemFailures" in response_types,
        bisect_on_error=_boolean(props.get("BisectBatchOnFunctionError", False)),
        max_retry_attempts=_check_range(
            where, "MaximumRetryAttempts", int(props.get("MaximumRetryAttempts", -1)), -1, 10_000
        ),
        max_record_age=max_age,
        on_failure=_on_failure_queue(resolver, where, raw.get("DestinationConfig")),
        enabled=_boolean(props.get("Enabled", True)),
    )


def _boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _on_failure_queue(resolver: _Resolver, where: str, config: Any) -> str | None:
    on_failure = (config or {}).get("OnFailure")
    if not on_failure:
        return None
    kind = on_failure.get("Type", "SQS")
    queue = _getatt_target(on_failure.get("Destination"), "Arn")
    if kind != "SQS" or queue is None or resolver.resources.get(queue, {}).get("Type") != "AWS::SQS::Queue":
        raise TemplateError(f"{where}: the OnFailure destination must be an SQS queue's !GetAtt <Queue>.Arn locally")
    return queue


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
