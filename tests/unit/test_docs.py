"""The documentation stands on its own in a clone: every link resolves inside the repository, nothing points
at files the repository does not have, and the README stays a front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

README_LIMIT = 8192  # bytes: the README is a front door; reference lives in docs/
DOCS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("bench/*.md")])
# Inline links and images, [text](target "title"); autolinks, <scheme://...>.
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^>\s]+)>", re.IGNORECASE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LOCAL_HOSTS = ("http://127.0.0.1", "http://localhost")
# Files that exist only outside a clone of this repository.
OUTSIDE = ("../shared", "architecture.md", "product page", "product.md")


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where links are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _links(path: Path) -> list[str]:
    prose = _prose(path.read_text())
    return INLINE_LINK.findall(prose) + AUTOLINK.findall(prose)


def _anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", path.read_text()), re.MULTILINE)
    return {_anchor(h) for h in headings}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_documents_are_there() -> None:
    names = {_name(p) for p in DOCS}
    assert {"README.md", "docs/api.md", "docs/local-stack.md", "docs/deploying.md", "docs/development.md"} <= names
    assert (ROOT / "LICENSE").read_text().startswith("\n                                 Apache License")


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_relative_link_is_a_file_of_the_repository(doc: Path) -> None:
    broken = []
    for link in _links(doc):
        if re.match(r"[a-z][a-z0-9+.-]*:", link, re.IGNORECASE):
            continue  # absolute: the next test
        target, _, anchor = link.partition("#")
        resolved = (doc.parent / target).resolve() if target else doc
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{link}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{link}: {_name(resolved)} has no heading '#{anchor}'")
    assert broken == [], f"{_name(doc)}: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_no_link_leaves_the_repository_except_to_the_local_stack(doc: Path) -> None:
    absolute = [link for link in _links(doc) if re.match(r"[a-z][a-z0-9+.-]*:", link, re.IGNORECASE)]
    assert [link for link in absolute if not link.startswith(LOCAL_HOSTS)] == [], _name(doc)


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_nothing_names_files_outside_the_repository(doc: Path) -> None:
    text = doc.read_text().lower()
    assert [name for name in OUTSIDE if name in text] == [], _name(doc)


def test_the_readme_is_a_front_door() -> None:
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes (at most {README_LIMIT}): move reference to docs/"


def test_the_anchor_rule_matches_the_headings_used() -> None:
    assert _anchor("Creating an organization: `make org`") == "creating-an-organization-make-org"
    assert _anchor("Errors, limits and the rules of triggering") == "errors-limits-and-the-rules-of-triggering"
    assert _anchor("The API, by task") == "the-api-by-task"
