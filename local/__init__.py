"""The no-Docker local stack: moto server as the embedded AWS, the template's routes over HTTP."""

from importlib.metadata import PackageNotFoundError, version

# local/ patches moto's internals (atomic.py, conflicts.py, expressions.py, moto_index.py, moto_streams.py,
# streams.py, template.py), so it is written against one release of moto: this one, which pyproject.toml
# pins. To upgrade moto: check those patches against the new release, then change this and the pin together.
MOTO_VERSION = "5.2.5"


def moto_mismatch() -> str | None:
    """Why local/ cannot run with the installed moto, or None when it is the release local/ was written for.

    Reads the installed version without importing moto.
    """
    try:
        installed = version("moto")
    except PackageNotFoundError:
        installed = None
    if installed == MOTO_VERSION:
        return None
    found = f"moto {installed} is installed" if installed else "moto is not installed"
    return (
        f"The local stack patches moto's internals and is written against moto {MOTO_VERSION}, but {found}. "
        "Run `make install` for the locked moto; upgrading moto, check local/'s patches against the new "
        "release, then change MOTO_VERSION in local/__init__.py and the pin in pyproject.toml (`make lock`)."
    )
