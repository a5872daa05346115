#!/usr/bin/python3
"""Keeps the code quoted and cited by the docs true to the code.

Usage: scripts/check-docs.py [REPO_ROOT] [DOC.md ...]
With no DOC arguments it checks every docs/*.md. Exits 0 when every excerpt and reference
matches, 1 after naming each stale one (file:line of the doc, and what no longer matches).

What a doc may contain, and what is checked:

  Excerpts. A line `<!-- excerpt: nn/activations.cpp -->` directly before a fenced block
  (```cpp, or any other language tag) says that the block is copied from that file. Every
  line of the block, with leading and trailing whitespace stripped, must appear in the file
  in the same order and contiguously (blank lines included). A ```cpp block without an
  excerpt line is an error too: C++ in these docs is always quoted, never paraphrased.

  References. An inline code span `path` or `path:name`, where path is a repository file
  (it has a directory part and an extension, e.g. `nn/loss.cpp`), must name an existing
  file. With a name, the name must occur in that file as a whole word:
    `nn/model.cpp:Model::train_step`    "Model" (optionally with template arguments,
                                        "Model<T>") followed by "::train_step"
    `tensor/parallel.hpp:kParallelThreshold`   the word kParallelThreshold
    `tests/nn/test_loss.cpp:CrossEntropy.StableOnHugeLogits`   a GoogleTest case:
                                        TEST, TEST_F, TEST_P or TYPED_TEST (CrossEntropy, StableOnHugeLogits)
  Markdown links to relative paths ([text](../nn/loss.cpp)) must point at existing files.

Standard library only, so that it runs wherever python3 does.
"""

import pathlib
import re
import sys

EXCERPT = re.compile(r"^\s*<!--\s*excerpt:\s*(\S+)\s*-->\s*$")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)\s*$")
CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
REFERENCE = re.compile(r"^((?:[\w.-]+/)+[\w.-]+\.[A-Za-z]+)(?::([A-Za-z_~][\w:~.]*))?$")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def strip_lines(text):
    return [line.strip() for line in text.splitlines()]


def contains_block(haystack, needle):
    """True when the list `needle` occurs contiguously in the list `haystack`."""
    if not needle:
        return True
    first = needle[0]
    for i, line in enumerate(haystack):
        if line == first and haystack[i : i + len(needle)] == needle:
            return True
    return False


def first_mismatch(haystack, needle):
    """The first excerpt line that appears nowhere in the file (for the message)."""
    lines = set(haystack)
    for n, line in enumerate(needle):
        if line not in lines:
            return n, line
    return None


def name_pattern(name):
    """A regex for `name` as cited: A::b (template arguments allowed after A), Suite.Test
    for a GoogleTest case, or a plain identifier."""
    if "." in name and "::" not in name:
        suite, test = name.split(".", 1)
        return re.compile(
            r"\b(?:TYPED_)?TEST(?:_F|_P)?\(\s*" + re.escape(suite) + r"\s*,\s*" + re.escape(test) + r"\s*\)"
        )
    parts = name.split("::")
    body = r"(?:<[^<>;{}()]*>)?\s*::\s*".join(re.escape(p) for p in parts)
    return re.compile(r"(?<![\w~])" + body + r"(?!\w)")


class Checker:
    def __init__(self, root):
        self.root = root
        self.errors = []
        self.counts = {"excerpts": 0, "references": 0, "links": 0}
        self._cache = {}

    def source(self, rel):
        if rel not in self._cache:
            path = self.root / rel
            self._cache[rel] = path.read_text(encoding="utf-8") if path.is_file() else None
        return self._cache[rel]

    def error(self, doc, line_no, message):
        self.errors.append(f"{doc}:{line_no}: {message}")

    def check_doc(self, doc_path):
        doc = doc_path.relative_to(self.root) if doc_path.is_relative_to(self.root) else doc_path
        lines = doc_path.read_text(encoding="utf-8").splitlines()
        pending = None  # (source path, line number) of an excerpt tag awaiting its block
        i = 0
        while i < len(lines):
            line = lines[i]
            tag = EXCERPT.match(line)
            if tag:
                pending = (tag.group(1), i + 1)
                i += 1
                continue
            fence = FENCE.match(line)
            if fence:
                marker, lang = fence.group(1), fence.group(2)
                j = i + 1
                while j < len(lines) and not lines[j].strip().startswith(marker):
                    j += 1
                block = lines[i + 1 : j]
                if pending:
                    self.check_excerpt(doc, pending[1], pending[0], block)
                elif lang in ("cpp", "c++", "hpp"):
                    self.error(doc, i + 1, "a ```cpp block without an <!-- excerpt: FILE --> line before it")
                pending = None
                i = j + 1
                continue
            if pending and line.strip():
                self.error(doc, pending[1], f"excerpt tag for {pending[0]} is not followed by a fenced block")
                pending = None
            self.check_inline(doc, doc_path.parent, i + 1, line)
            i += 1
        if pending:
            self.error(doc, pending[1], f"excerpt tag for {pending[0]} at the end of the file")

    def check_excerpt(self, doc, line_no, rel, block):
        self.counts["excerpts"] += 1
        text = self.source(rel)
        if text is None:
            self.error(doc, line_no, f"excerpt from {rel}: no such file")
            return
        needle = strip_lines("\n".join(block))
        while needle and not needle[-1]:
            needle.pop()
        if not needle:
            self.error(doc, line_no, f"excerpt from {rel} is empty")
            return
        if contains_block(strip_lines(text), needle):
            return
        miss = first_mismatch(strip_lines(text), needle)
        if miss:
            detail = f"line {miss[0] + 1} of the excerpt is not in the file: {miss[1]!r}"
        else:
            detail = "every line is in the file, but not contiguously in this order"
        self.error(doc, line_no, f"stale excerpt from {rel}: {detail}")

    def check_inline(self, doc, base, line_no, line):
        for span in CODE_SPAN.findall(line):
            ref = REFERENCE.match(span.strip())
            if not ref:
                continue
            rel, name = ref.group(1), ref.group(2)
            self.counts["references"] += 1
            text = self.source(rel)
            if text is None:
                self.error(doc, line_no, f"reference `{span}`: no such file {rel}")
            elif name and not name_pattern(name).search(text):
                self.error(doc, line_no, f"reference `{span}`: {name!r} does not occur in {rel}")
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, mailto:
            self.counts["links"] += 1
            if not (base / target).exists():
                self.error(doc, line_no, f"link to {target}: no such file")


def main(argv):
    root = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).resolve().parent.parent).resolve()
    docs = [pathlib.Path(a).resolve() for a in argv[2:]] or sorted((root / "docs").glob("*.md"))
    if not docs:
        print(f"check-docs: no docs/*.md under {root}", file=sys.stderr)
        return 1
    checker = Checker(root)
    for doc in docs:
        checker.check_doc(doc)
    for e in checker.errors:
        print(e, file=sys.stderr)
    c = checker.counts
    summary = (
        f"check-docs: {len(docs)} docs, {c['excerpts']} excerpts, {c['references']} references, "
        f"{c['links']} links: "
    )
    if checker.errors:
        print(summary + f"{len(checker.errors)} stale", file=sys.stderr)
        return 1
    print(summary + "all match")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
