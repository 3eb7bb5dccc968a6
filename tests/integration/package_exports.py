"""Run in a fresh interpreter: what each package's __init__ exports, each name described by what it is.

    python -m tests.integration.package_exports <package>...                  # the names of each __all__
    python -m tests.integration.package_exports --deferred '<JSON of names>'  # those, after coldstart.begin()

Prints {package: {name: "<module>.<qualified name>" of the object}}.
"""

from __future__ import annotations

import importlib
import json
import sys


def describe(value: object) -> str:
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or type(value).__qualname__
    return f"{getattr(value, '__module__', type(value).__module__)}.{name}"


def main() -> None:
    if sys.argv[1] == "--deferred":
        from lead_events import coldstart

        coldstart.begin()
        wanted: dict[str, list[str]] = json.loads(sys.argv[2])
    else:
        wanted = {package: list(importlib.import_module(package).__all__) for package in sys.argv[1:]}
    print(
        json.dumps(
            {
                package: {name: describe(getattr(importlib.import_module(package), name)) for name in names}
                for package, names in wanted.items()
            }
        )
    )


if __name__ == "__main__":
    main()
