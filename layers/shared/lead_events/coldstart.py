"""What a handler module does before and after its imports, to start faster.

    from lead_events import coldstart

    coldstart.begin()
    ... the handler's imports and set-up ...
    coldstart.end()

- No garbage collection while the modules load (it would walk objects that all stay): what they make
  lives as long as the container, so at the end it is frozen out of later collections.
- Some packages' `__init__` imports every module of the package to re-export its names. Powertools'
  `event_handler` loads the AppSync, Bedrock and VPC Lattice resolvers (and asyncio through them),
  and `utilities.data_classes` some forty event classes, for the HTTP resolver's six. Those two are
  registered without running their `__init__`: each name is loaded from the module the `__init__`
  takes it from, when first asked for (PEP 562), and submodules import as usual. A name that
  cannot be found that way runs the `__init__` then: nothing is missing, only loaded later.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import sys
import threading
from typing import Any

DEFERRED_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def begin() -> None:
    """Before the handler's imports."""
    gc.disable()
    for name in DEFERRED_PACKAGES:
        defer_package_init(name)


def end() -> None:
    """After them: what was loaded stays out of later collections."""
    gc.freeze()
    gc.enable()


def defer_package_init(name: str) -> None:
    """Register package `name` with its names loaded one by one, when asked for (see the module's doc).

    Nothing happens if it is already imported: then it is the real one, complete.
    """
    if name in sys.modules:
        return
    parent, _, child = name.rpartition(".")
    parent_module = importlib.import_module(parent) if parent else None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a package with an __init__ of its own: nothing to defer
    module = importlib.util.module_from_spec(spec)
    loader, origin = spec.loader, spec.origin
    sources = _reexports(name, origin)
    lock = threading.RLock()
    ran_init = False

    def run_init() -> None:
        nonlocal ran_init
        with lock:
            if not ran_init:
                ran_init = True
                loader.exec_module(module)

    def __getattr__(attribute: str) -> Any:  # noqa: N807 - the module hook of PEP 562
        if attribute in sources:
            submodule, original = sources[attribute]
            value = getattr(importlib.import_module(submodule), original)
            setattr(module, attribute, value)
            return value
        if not attribute.startswith("__"):
            try:
                return importlib.import_module(f"{name}.{attribute}")
            except ModuleNotFoundError as error:
                if error.name != f"{name}.{attribute}":
                    raise
        if attribute.startswith("__") and attribute != "__all__":
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        run_init()
        try:
            return module.__dict__[attribute]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    def __dir__() -> list[str]:  # noqa: N807 - the module hook of PEP 562
        run_init()
        return sorted(module.__dict__)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    sys.modules[name] = module
    if parent_module is not None:
        setattr(parent_module, child, module)


def _reexports(package: str, init_path: str) -> dict[str, tuple[str, str]]:
    """{name: (submodule, its name there)} for each `from <submodule> import <name>` of the package's __init__."""
    with open(init_path, encoding="utf-8") as file:
        tree = ast.parse(file.read(), init_path)
    sources: dict[str, tuple[str, str]] = {}
    for node in tree.body:  # top level only: imports under a condition are left to the __init__
        if not isinstance(node, ast.ImportFrom) or node.module is None or node.level > 1:
            continue
        submodule = f"{package}.{node.module}" if node.level == 1 else node.module
        if submodule.startswith(f"{package}."):
            for alias in node.names:
                if alias.name != "*":
                    sources[alias.asname or alias.name] = (submodule, alias.name)
    return sources
