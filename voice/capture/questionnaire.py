"""Questionnaires as data: loading and validation.

A questionnaire is one TOML file in ``voice/capture/questionnaires/``. The
application calls :func:`load_all` at start-up, so a broken file stops
start-up with a :class:`QuestionnaireError` that names the file, the step and
the problem.

File format (reference)
=======================

Top level (all keys required, no others allowed)::

    id = "my-views-8-11"      # lower-case letters, digits and single hyphens
    version = 1               # positive integer; bump it when the wording changes
    title = "My views"        # shown to the child; translated
    age_bands = ["8-11"]      # non-empty, any of AGE_BANDS, no repeats

    [[steps]]                 # one table per screen, shown in file order
    ...

Step keys::

    id       required  unique within the questionnaire; same pattern as above
    kind     required  one of KINDS:
                       info      a message only; the only kind that cannot be skipped
                       feelings  pick pictured feelings (needs options)
                       choice    pick from options (needs options)
                       text      write an answer
                       voice     record an answer
                       drawing   draw an answer
                       photo     take a photo
                       open      answer in any of the forms listed in `accept`
    prompt   required  the question or message; short, plain words; translated
    hint     optional  one more short sentence; translated
    picture  optional  a pictogram name from PICTOGRAMS
    audio    optional  recorded prompt audio, e.g. "prompts/welcome"
                       (lower-case path segments joined by "/"; not checked
                       against files on disk)
    options  feelings/choice only, required there: a non-empty array of
             inline tables { id = "...", label = "...", picture = "..." }
             - id: unique within the step, same pattern as above
             - label: translated
             - picture: a pictogram name; required for `feelings`,
               optional for `choice`
             - safety_signal: `choice` options only, true or false (default
               false): choosing it raises a safety alert at once, whether
               or not the child shares the answer
    multiple feelings/choice only: may the child pick more than one?
             Defaults to true for `feelings` and false for `choice`.
    accept   open only: a non-empty array, no repeats, of
             "text", "voice", "drawing", "photo" (default: all four, in
             that order)

There is no "required" key: the UI always offers Skip on every step except
`info`.

Translatable text (title, prompt, hint, option labels) must not be empty or
only spaces, and must not contain "%", "<" or ">": flask-babel installs
Jinja's "newstyle" gettext, which always %-formats the translated string and
marks it as safe HTML. Translations are extracted by
``voice.capture.babel_extract.extract_toml``.

Loaded values
=============

``Step.options`` is a tuple of :class:`Option` (empty unless feelings/choice);
``Step.multiple`` is False for kinds other than feelings/choice;
``Step.accept`` lists the answer forms the step takes: the `accept` list for
`open`, ``(kind,)`` for text/voice/drawing/photo and ``()`` for
info/feelings/choice. ``hint``, ``picture`` and ``audio`` are None when left
out.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

#: The only pictogram names a questionnaire may use.
PICTOGRAMS: frozenset[str] = frozenset(
    {
        "wave", "happy", "sad", "angry", "scared", "worried", "calm", "tired",
        "confused", "lonely", "okay", "excited", "hope", "family", "friend",
        "people", "home", "school", "safe", "help", "panel", "speak", "heart",
        "question", "pencil", "camera", "microphone", "keyboard", "tick",
        "stop", "hide", "play", "back", "forward", "sun", "tree", "book",
        "ball", "food", "doctor", "phone", "lock", "share", "no",
    }
)

AGE_BANDS: tuple[str, ...] = ("4-7", "8-11", "12-15", "16-17")

KINDS: tuple[str, ...] = (
    "info", "feelings", "choice", "text", "voice", "drawing", "photo", "open",
)

#: Answer forms, in the order the UI offers them.
ANSWER_FORMS: tuple[str, ...] = ("text", "voice", "drawing", "photo")

#: Kinds that take `options` and `multiple`.
OPTION_KINDS: frozenset[str] = frozenset({"feelings", "choice"})

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
AUDIO_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*(?:/[a-z0-9]+(?:[-_][a-z0-9]+)*)*")
FORBIDDEN_TEXT_CHARS = "%<>"

DEFAULT_FOLDER = Path(__file__).resolve().parent / "questionnaires"

_TOP_KEYS = ("id", "version", "title", "age_bands", "steps")
_STEP_REQUIRED = ("id", "kind", "prompt")
_STEP_KEYS = ("id", "kind", "prompt", "hint", "picture", "audio", "options", "multiple", "accept")
_OPTION_REQUIRED = ("id", "label")
_OPTION_KEYS = ("id", "label", "picture", "safety_signal")


class QuestionnaireError(Exception):
    """A questionnaire file is broken.

    ``str(error)`` is ``"<file>: <where>: <problem>"``, where ``<where>`` is
    e.g. ``step 4 "feel-today", option 2 "sad"`` (left out for problems with
    the whole file).
    """

    def __init__(self, source: str, problem: str, where: str | None = None):
        self.source = source
        self.where = where
        self.problem = problem
        message = f"{source}: {where}: {problem}" if where else f"{source}: {problem}"
        super().__init__(message)


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    picture: str | None = None
    safety_signal: bool = False


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    prompt: str
    hint: str | None = None
    picture: str | None = None
    audio: str | None = None
    options: tuple[Option, ...] = ()
    multiple: bool = False
    accept: tuple[str, ...] = ()

    @property
    def skippable(self) -> bool:
        return self.kind != "info"

    def signals(self, option_ids) -> list[str]:
        """The chosen options that are safety signals."""
        return [o.id for o in self.options if o.safety_signal and o.id in option_ids]


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: str
    age_bands: tuple[str, ...]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError if there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


# --------------------------------------------------------------------------
# Loading


def load_all(folder: str | Path | None = None) -> dict[str, Questionnaire]:
    """Load and validate every ``*.toml`` file in `folder` (default: the
    package's ``questionnaires/``), keyed by questionnaire id, in file-name
    order. Raises QuestionnaireError for any broken file, for two files with
    the same id, and for a missing or empty folder."""
    folder = DEFAULT_FOLDER if folder is None else Path(folder)
    if not folder.is_dir():
        raise QuestionnaireError(str(folder), "questionnaire folder does not exist")
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise QuestionnaireError(str(folder), "no questionnaire (*.toml) files found")
    loaded: dict[str, Questionnaire] = {}
    seen_in: dict[str, Path] = {}
    for path in paths:
        questionnaire = load_file(path)
        if questionnaire.id in loaded:
            raise QuestionnaireError(
                str(path),
                f'duplicate questionnaire id "{questionnaire.id}" '
                f"(also used in {seen_in[questionnaire.id]})",
            )
        loaded[questionnaire.id] = questionnaire
        seen_in[questionnaire.id] = path
    return loaded


def load_file(path: str | Path) -> Questionnaire:
    """Load and validate one questionnaire file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError(str(path), f"cannot read file: {exc}") from exc
    return parse_bytes(raw, str(path))


def parse_bytes(raw: bytes, source: str) -> Questionnaire:
    """Parse and validate the bytes of a questionnaire file; `source` names
    the file in error messages."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionnaireError(source, f"file is not valid UTF-8: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(source, f"TOML syntax error: {exc}") from exc
    return parse(data, source)


def parse(data: Mapping[str, Any], source: str) -> Questionnaire:
    """Validate already-parsed TOML data and build a Questionnaire."""
    top = _Checker(source, None)
    top.keys(data, _TOP_KEYS, _TOP_KEYS, "at the top level")

    qid = top.identifier(data["id"], "questionnaire id")
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        top.fail(f"version must be a positive integer, not {version!r}")
    title = top.text(data["title"], "title")

    bands = data["age_bands"]
    if not isinstance(bands, list) or not bands:
        top.fail(f"age_bands must be a non-empty list, e.g. [\"8-11\"], not {bands!r}")
    for band in bands:
        if band not in AGE_BANDS:
            top.fail(f"unknown age band {band!r} (known: {', '.join(AGE_BANDS)})")
    _no_repeats(top, bands, "age band")

    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        top.fail("steps must be a non-empty array of tables ([[steps]])")
    steps: list[Step] = []
    seen_ids: dict[str, int] = {}
    for index, raw_step in enumerate(raw_steps, start=1):
        step = _parse_step(source, index, raw_step)
        if step.id in seen_ids:
            _Checker(source, _step_where(index, step.id)).fail(
                f'duplicate step id "{step.id}" (also step {seen_ids[step.id]})'
            )
        seen_ids[step.id] = index
        steps.append(step)

    return Questionnaire(
        id=qid, version=version, title=title, age_bands=tuple(bands), steps=tuple(steps)
    )


def for_age_band(
    questionnaires: Mapping[str, Questionnaire] | Iterable[Questionnaire], band: str
) -> list[Questionnaire]:
    """The questionnaires meant for `band`, sorted by id (possibly none).
    Raises ValueError for a band that is not one of AGE_BANDS."""
    if band not in AGE_BANDS:
        raise ValueError(f"unknown age band {band!r} (known: {', '.join(AGE_BANDS)})")
    items = questionnaires.values() if isinstance(questionnaires, Mapping) else questionnaires
    return sorted((q for q in items if band in q.age_bands), key=lambda q: q.id)


# --------------------------------------------------------------------------
# Validation helpers


def _step_where(index: int, step_id: Any) -> str:
    if isinstance(step_id, str) and step_id:
        return f'step {index} "{step_id}"'
    return f"step {index}"


class _Checker:
    def __init__(self, source: str, where: str | None):
        self.source = source
        self.where = where

    def fail(self, problem: str):
        raise QuestionnaireError(self.source, problem, self.where)

    def keys(self, table: Any, required: Iterable[str], allowed: Iterable[str], what: str) -> None:
        if not isinstance(table, Mapping):
            self.fail(f"expected a table {what}, not {type(table).__name__}")
        allowed = tuple(allowed)
        unknown = [k for k in table if k not in allowed]
        if unknown:
            self.fail(
                f"unknown key {', '.join(map(repr, unknown))} {what} "
                f"(allowed: {', '.join(allowed)})"
            )
        missing = [k for k in required if k not in table]
        if missing:
            self.fail(f"missing key {', '.join(map(repr, missing))} {what}")

    def identifier(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
            self.fail(
                f"bad {what} {value!r}: use lower-case letters, digits and single "
                f"hyphens, e.g. \"feel-today\""
            )
        return value

    def text(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            self.fail(f"{what} must be a string, not {type(value).__name__}")
        if not value.strip():
            self.fail(f"{what} is empty")
        bad = sorted({c for c in value if c in FORBIDDEN_TEXT_CHARS})
        if bad:
            self.fail(
                f"{what} contains {' '.join(bad)}, which break translated text "
                f"(write e.g. \"per cent\" instead of %)"
            )
        return value

    def picture(self, value: Any, what: str) -> str:
        if value not in PICTOGRAMS:
            self.fail(f"unknown pictogram {value!r} for {what} (see PICTOGRAMS)")
        return value


def _a(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _no_repeats(check: _Checker, values: list, what: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            check.fail(f"{what} {value!r} is listed twice")
        seen.add(value)


def _parse_step(source: str, index: int, raw: Any) -> Step:
    check = _Checker(source, _step_where(index, raw.get("id") if isinstance(raw, Mapping) else None))
    check.keys(raw, _STEP_REQUIRED, _STEP_KEYS, "in step")
    step_id = check.identifier(raw["id"], "step id")

    kind = raw["kind"]
    if kind not in KINDS:
        check.fail(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")

    prompt = check.text(raw["prompt"], "prompt")
    hint = check.text(raw["hint"], "hint") if "hint" in raw else None
    picture = check.picture(raw["picture"], "picture") if "picture" in raw else None
    audio = raw.get("audio")
    if audio is not None and (not isinstance(audio, str) or not AUDIO_PATTERN.fullmatch(audio)):
        check.fail(f'bad audio {audio!r}: expected a path like "prompts/welcome"')

    options: tuple[Option, ...] = ()
    multiple = False
    if kind in OPTION_KINDS:
        if "options" not in raw:
            check.fail(f"{_a(kind)} step needs options")
        options = _parse_options(check, kind, raw["options"])
        multiple = raw.get("multiple", kind == "feelings")
        if not isinstance(multiple, bool):
            check.fail(f"multiple must be true or false, not {multiple!r}")
    else:
        for key in ("options", "multiple"):
            if key in raw:
                check.fail(f"{_a(kind)} step takes no {key} (only feelings and choice steps do)")

    if kind == "open":
        accept = raw.get("accept", list(ANSWER_FORMS))
        if not isinstance(accept, list) or not accept:
            check.fail(f"accept must be a non-empty list of {', '.join(ANSWER_FORMS)}")
        for form in accept:
            if form not in ANSWER_FORMS:
                check.fail(f"bad accept value {form!r} (allowed: {', '.join(ANSWER_FORMS)})")
        _no_repeats(check, accept, "accept value")
        accept_forms = tuple(accept)
    else:
        if "accept" in raw:
            check.fail(f"{_a(kind)} step takes no accept (only open steps do)")
        accept_forms = (kind,) if kind in ANSWER_FORMS else ()

    return Step(
        id=step_id,
        kind=kind,
        prompt=prompt,
        hint=hint,
        picture=picture,
        audio=audio,
        options=options,
        multiple=multiple,
        accept=accept_forms,
    )


def _parse_options(check: _Checker, kind: str, raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        check.fail(f"{_a(kind)} step needs a non-empty list of options")
    options: list[Option] = []
    seen: dict[str, int] = {}
    for number, raw_option in enumerate(raw, start=1):
        option_id = raw_option.get("id") if isinstance(raw_option, Mapping) else None
        label = f'option {number} "{option_id}"' if isinstance(option_id, str) and option_id else f"option {number}"
        sub = _Checker(check.source, f"{check.where}, {label}")
        sub.keys(raw_option, _OPTION_REQUIRED, _OPTION_KEYS, "in option")
        option_id = sub.identifier(raw_option["id"], "option id")
        if option_id in seen:
            sub.fail(f'duplicate option id "{option_id}" (also option {seen[option_id]})')
        seen[option_id] = number
        text = sub.text(raw_option["label"], "label")
        if "picture" in raw_option:
            picture = sub.picture(raw_option["picture"], "option picture")
        elif kind == "feelings":
            sub.fail("feelings options need a picture")
        else:
            picture = None
        signal = raw_option.get("safety_signal", False)
        if not isinstance(signal, bool):
            sub.fail(f"safety_signal must be true or false, not {signal!r}")
        if "safety_signal" in raw_option and kind != "choice":
            sub.fail("safety_signal is only for options of choice steps")
        options.append(Option(id=option_id, label=text, picture=picture, safety_signal=signal))
    return tuple(options)
