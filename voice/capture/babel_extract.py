"""Babel extractor for questionnaire TOML files.

Yields every string the child sees (the title, each step's prompt and hint,
each option's label) so they are translated like every other string. The UI
translates them at run time with ``gettext(step.prompt)`` etc.

Register it in babel.cfg with an [extractors] alias (Babel's .cfg parser
splits a section name at the first ":", so "module:function" cannot be
written directly in a section name)::

    [extractors]
    questionnaire = voice.capture.babel_extract:extract_toml

    [questionnaire: **/questionnaires/*.toml]

The file is validated with the same code the application uses, so a broken
questionnaire also stops ``pybabel extract``.
"""

from __future__ import annotations

import re
from typing import Any, Collection, Iterator, Mapping

from voice.capture.questionnaire import parse_bytes

_STEP_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]")


def extract_toml(
    fileobj,
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method: yields ``(lineno, funcname, message,
    comments)``. `keywords`, `comment_tags` and `options` are not used."""
    raw = fileobj.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    source = getattr(fileobj, "name", None) or "<questionnaire>"
    questionnaire = parse_bytes(raw, str(source))
    lines = raw.decode("utf-8").splitlines()
    finder = _LineFinder(lines, len(questionnaire.steps))

    qid = questionnaire.id
    audience = f"for ages {', '.join(questionnaire.age_bands)}: short, plain, warm words"

    yield (
        finder.top_key("title"),
        None,
        questionnaire.title,
        [f"questionnaire {qid}, title", audience],
    )
    for index, step in enumerate(questionnaire.steps):
        where = f"questionnaire {qid}, step {step.id} ({step.kind})"
        yield finder.step_key(index, "prompt"), None, step.prompt, [f"{where}, prompt", audience]
        if step.hint is not None:
            yield finder.step_key(index, "hint"), None, step.hint, [f"{where}, hint", audience]
        for option in step.options:
            yield (
                finder.option_label(index, option.id, option.label),
                None,
                option.label,
                [f"{where}, option {option.id}, option label", audience],
            )


class _LineFinder:
    """Finds the (1-based) line where a string appears in the raw TOML.

    Approximate: it looks for ``key =`` inside the step's ``[[steps]]``
    section, and for an option's label on the line holding its id or label;
    when it cannot tell, it answers with the start of the section.
    """

    def __init__(self, lines: list[str], step_count: int):
        self.lines = lines
        headers = [i for i, line in enumerate(lines) if _STEP_HEADER.match(line)]
        if len(headers) == step_count:
            bounds = headers + [len(lines)]
            self.regions = [(bounds[i], bounds[i + 1]) for i in range(step_count)]
        else:  # e.g. steps written as an inline array: search the whole file
            self.regions = [(0, len(lines))] * step_count
        self.top_end = headers[0] if headers else len(lines)
        self.option_cursor: dict[int, int] = {}

    def _find(self, pattern: re.Pattern, start: int, end: int) -> int | None:
        for i in range(start, end):
            if pattern.search(self.lines[i]):
                return i + 1
        return None

    def top_key(self, key: str) -> int:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        return self._find(pattern, 0, self.top_end) or self._find(pattern, 0, len(self.lines)) or 1

    def step_key(self, index: int, key: str) -> int:
        start, end = self.regions[index]
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        return self._find(pattern, start, end) or start + 1

    def option_label(self, index: int, option_id: str, label: str) -> int:
        start, end = self.regions[index]
        cursor = self.option_cursor.get(index, start)
        by_id = re.compile(rf"""\bid\s*=\s*["']{re.escape(option_id)}["']""")
        by_label = re.compile(rf"""\blabel\s*=\s*["']{re.escape(label)}["']""")
        found = self._find(by_label, cursor, end) or self._find(by_id, cursor, end)
        if found is None:
            return start + 1
        self.option_cursor[index] = found - 1  # next option: this line or later
        return found
