"""Catalogues: messages.pot matches the code, and every language is complete and consistent."""
from __future__ import annotations

import re
import subprocess
import tomllib

import pytest
from babel.messages.pofile import read_po

from voice import i18n

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")
OTHER_LANGUAGES = [code for code in i18n.CHILD_LANGUAGES if code != "en"]


def _ids(catalogue):
    return {(m.id if isinstance(m.id, str) else tuple(m.id)) for m in catalogue if m.id}


def test_pot_is_up_to_date(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(["make", "-s", "--no-print-directory", "pot", f"POT={fresh}"], check=True)
    with open(fresh, "rb") as handle:
        expected = read_po(handle)
    committed = i18n.read_catalogue("en")
    assert _ids(committed) == _ids(expected), "run `make translations` and commit the result"
    where = {m.id: sorted(p for p, _ in m.locations) for m in expected if m.id}
    assert {m.id: sorted(p for p, _ in m.locations) for m in committed if m.id} == where


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_catalogue_is_complete_and_consistent(code):
    catalogue = i18n.read_catalogue(code)
    assert _ids(catalogue) >= _ids(i18n.read_catalogue("en")), "catalogue not updated"
    problems = []
    for message in catalogue:
        if not message.id or not i18n.needed(code, message):
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(strings):
            problems.append(f"missing: {ids[0]!r}")
            continue
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != wanted and \
                    sorted(PLACEHOLDER.findall(string)) != sorted(PLACEHOLDER.findall(ids[0])):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == [], f"{code}: " + "\n".join(problems[:30])
    assert i18n.completeness(code)[0] == i18n.completeness(code)[1]


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_catalogue_records_its_review_status(code):
    status = tomllib.loads((i18n.TRANSLATIONS / i18n.LOCALES[code] / "status.toml").read_text())
    assert status["status"] in ("draft", "checked")
    if status["status"] == "checked":
        assert status.get("checked_by") and status.get("checked_on")
