"""Every relative link in README.md and docs/ reaches a file of this repository (and a
heading there, when it names one), and no document points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`[^`\n]*`")
# [text](target "title") and ![alt](target); reference definitions: [label]: target
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def links(text: str):
    for number, line in prose_lines(text):
        line = CODE_SPAN.sub("", line)
        for match in INLINE_LINK.finditer(line):
            yield number, match.group(1)
        reference = REFERENCE.match(line)
        if reference:
            yield number, reference.group(1)


def anchors(text: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1, -2…
    for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(text):
        match = HEADING.match(line)
        if not match:
            continue
        title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def broken_links(doc: Path) -> list[str]:
    problems = []
    text = doc.read_text(encoding="utf-8")
    for number, target in links(text):
        where = f"{doc.relative_to(REPO)}:{number}: {target}"
        if not target or SCHEME.match(target) or target.startswith("//"):
            continue  # a web address, mailto:…
        path_part, _, anchor = target.partition("#")
        resolved = (doc.parent / path_part).resolve() if path_part else doc
        if not resolved.is_relative_to(REPO):
            problems.append(f"{where} (outside the repository)")
            continue
        if not resolved.exists():
            problems.append(f"{where} (no such file)")
            continue
        text_there = resolved.read_text(encoding="utf-8") if resolved.suffix == ".md" else ""
        if anchor and resolved.suffix == ".md" and anchor not in anchors(text_there):
            problems.append(f"{where} (no such heading)")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_reach_files_of_the_repository(doc):
    assert broken_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_document_points_outside_the_repository(doc):
    """Not even in plain text: a newcomer's clone has nothing beside it."""
    text = doc.read_text(encoding="utf-8")
    assert outside_paths(doc, text) == []
    assert not [t for _, t in links(text) if t.startswith("file:")]


def outside_paths(doc, text: str) -> list[str]:
    """Relative paths written in `text` (links or not) that leave the repository."""
    root = REPO.resolve()
    found = []
    for path in re.findall(r"(?<![\w./-])(?:\.\./)+[\w.-][\w./-]*", text):
        target = (doc.parent / path).resolve()
        if target != root and root not in target.parents:
            found.append(path)
    return found


def test_the_checker_finds_what_is_broken(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# A heading · Here (`x`)\n")
    doc = tmp_path / "README.md"
    doc.write_text(
        "# Top\n"
        "[ok](docs/there.md) [ok](docs/there.md#a-heading--here-x) [ok](#top)\n"
        "[web](https://example.com) `[code](missing.md)`\n"
        "```\n[fenced](missing.md)\n```\n"
        "[gone](docs/missing.md) [away](../elsewhere/SPEC.md) [anchor](docs/there.md#nope)\n"
        "[ref]: docs/also-missing.md\n"
    )
    assert [p.split(": ", 1)[1] for p in broken_links(doc)] == [
        "docs/missing.md (no such file)",
        "../elsewhere/SPEC.md (outside the repository)",
        "docs/there.md#nope (no such heading)",
        "docs/also-missing.md (no such file)",
    ]
    assert outside_paths(doc, "see ../elsewhere/SPEC.md and docs/../docs/there.md") == [
        "../elsewhere/SPEC.md"
    ]
