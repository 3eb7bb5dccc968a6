"""moto parses a request's expressions two or three times, lexing them character by character.

An UpdateItem's condition is parsed once to check the names and values it uses and again to apply
it; a transaction's conditions once more; an update expression once in each of those places too.
The lexing is a pure function of the expression's text, and a request's parses take the same names
and values, so `memoize_parsing` keeps:

- each condition's tokens, by its text (the dispatcher's and the trigger's expressions have the
  same text every time: only the placeholders' values change);
- the last few condition parses whole, by text, names and values (a request's repeats are one);
- each update expression's syntax tree, by its text: moto validates and applies a copy of it;
- each validation step's table of node kinds, once per step (moto built it again for every node).

A condition's parse is a tree of comparison objects that evaluating it does not change, so one
tree serves every caller. The results are the ones moto's own parsers give
(tests/integration/test_emulator.py).
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict, deque
from typing import Any

from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser

_PARSES_KEPT = 64
_TEXTS_KEPT = 1024  # expressions with their own text each time (a client's, in the local stack) are not kept forever
_lock = threading.Lock()


def _kept(texts: dict[str, Any], text: str, make: Any) -> Any:
    known = texts.get(text)
    if known is None:
        known = make()  # raises for a bad expression: nothing is kept
        if len(texts) >= _TEXTS_KEPT:
            texts.clear()
        texts[text] = known
    return known


def _handlers(step: DepthFirstTraverser) -> dict[type, Any]:
    handlers = step.__dict__.get("_handlers")
    if handlers is None:
        handlers = step.__dict__["_handlers"] = step._processing_map()  # node kind -> the step's method
    return handlers


def _kinds(step: DepthFirstTraverser) -> tuple[type, ...]:
    kinds = step.__dict__.get("_kinds")
    if kinds is None:
        kinds = step.__dict__["_kinds"] = tuple(_handlers(step))
    return kinds


def _process(step: DepthFirstTraverser, node: Any) -> Any:
    for kind, handle in _handlers(step).items():
        if isinstance(node, kind):
            return handle(node)
    return None


def memoize_parsing() -> None:
    """Patch moto's expression parsers as the module docstring says (idempotent)."""
    if getattr(ConditionExpressionParser.parse, "_memoized", False):
        return
    DepthFirstTraverser.nodes_to_be_processed = _kinds
    DepthFirstTraverser.process = _process
    make_tree = UpdateExpressionParser.make.__func__
    trees: dict[str, Any] = {}

    @functools.wraps(make_tree)
    def make_once(cls: type[UpdateExpressionParser], expression: str) -> Any:
        return _kept(trees, expression, lambda: make_tree(cls, expression))

    lex = ConditionExpressionParser._lex_condition_expression
    parse = ConditionExpressionParser.parse
    tokens: dict[str, tuple[Any, ...]] = {}
    parses: OrderedDict[tuple[str, str, str], tuple[Any, list[str], list[str]]] = OrderedDict()

    @functools.wraps(lex)
    def lex_once(self: ConditionExpressionParser) -> deque[Any]:
        # Tokens are named tuples; the later steps build new nodes.
        return deque(_kept(tokens, self.condition_expression or "", lambda: tuple(lex(self))))

    @functools.wraps(parse)
    def parse_once(self: ConditionExpressionParser) -> Any:
        try:
            key = (
                self.condition_expression or "",
                json.dumps(self.expression_attribute_names, sort_keys=True),
                json.dumps(self.expression_attribute_values, sort_keys=True),
            )
        except (TypeError, ValueError):
            return parse(self)
        with _lock:
            known = parses.get(key)
            if known is not None:
                parses.move_to_end(key)
        if known is None:
            op = parse(self)  # raises for a bad expression: nothing is kept
            known = (op, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
            with _lock:
                parses[key] = known
                while len(parses) > _PARSES_KEPT:
                    parses.popitem(last=False)
            return op
        op, names_found, values_found = known
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return op

    parse_once._memoized = True  # type: ignore[attr-defined]
    ConditionExpressionParser._lex_condition_expression = lex_once
    ConditionExpressionParser.parse = parse_once
    UpdateExpressionParser.make = classmethod(make_once)
