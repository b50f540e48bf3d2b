"""Questionnaires as data: the shipped files, the loader's checks, and the
Babel extractor. Plain pytest; no database, no app."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from voice.capture.babel_extract import extract_toml
from voice.capture.questionnaire import (
    AGE_BANDS,
    DEFAULT_FOLDER,
    KINDS,
    PICTOGRAMS,
    Questionnaire,
    QuestionnaireError,
    for_age_band,
    load_all,
    load_file,
)

SHIPPED = {
    "my-views-8-11": DEFAULT_FOLDER / "my-views-8-11.toml",
    "my-views-12-17": DEFAULT_FOLDER / "my-views-12-17.toml",
}
# "My feelings" for the youngest (4 to 7): its own, shorter shape.
YOUNGEST = {"my-feelings-4-7": DEFAULT_FOLDER / "my-feelings-4-7.toml"}
EVERY = {**SHIPPED, **YOUNGEST}

# The pictogram names the design provides; the module constant must match.
EXPECTED_PICTOGRAMS = {
    "wave", "happy", "sad", "angry", "scared", "worried", "calm", "tired",
    "confused", "lonely", "okay", "excited", "hope", "family", "friend",
    "people", "home", "school", "safe", "help", "panel", "speak", "heart",
    "question", "pencil", "camera", "microphone", "keyboard", "tick", "stop",
    "hide", "play", "back", "forward", "sun", "tree", "book", "ball", "food",
    "doctor", "phone", "lock", "share", "no",
}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Questionnaire]:
    return load_all()


def texts(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    """(where, text) for every string the child sees."""
    out = [("title", questionnaire.title)]
    for step in questionnaire.steps:
        out.append((f"{step.id} prompt", step.prompt))
        if step.hint is not None:
            out.append((f"{step.id} hint", step.hint))
        for option in step.options:
            out.append((f"{step.id} option {option.id}", option.label))
    return out


# --------------------------------------------------------------------------
# The shipped questionnaires


def test_shipped_questionnaires_load(shipped):
    assert set(shipped) == set(EVERY)
    for qid, path in EVERY.items():
        assert load_file(path) == shipped[qid]
        assert shipped[qid].title == ("My feelings" if qid in YOUNGEST else "My views")
        assert shipped[qid].version >= 1
    assert shipped["my-views-8-11"].age_bands == ("8-11",)
    assert shipped["my-views-12-17"].age_bands == ("12-15", "16-17")
    assert shipped["my-feelings-4-7"].age_bands == ("4-7",)


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_every_questionnaire_asks_whether_the_child_feels_safe(shipped, qid):
    step = shipped[qid].step("safe-home")
    assert step.kind == "choice" and not step.multiple
    assert step.prompt == "Do you feel safe where you live now?"
    assert [(o.label, o.safety_signal) for o in step.options] == [
        ("Yes", False), ("No", True), ("Not sure", True)]
    assert step.signals(["yes"]) == [] and step.signals(["no"]) == ["no"]
    # Nowhere else is an option a safety signal.
    assert [s.id for s in shipped[qid].steps if any(o.safety_signal for o in s.options)] == \
        ["safe-home"]


NO_TYPING = {"info", "feelings", "choice", "voice", "drawing"}


def test_the_youngest_answer_by_tapping_drawing_or_speaking(shipped):
    q = shipped["my-feelings-4-7"]
    assert len(q.steps) <= 8
    for step in q.steps:
        assert step.kind in NO_TYPING or (step.kind == "open"
                                          and set(step.accept) <= {"voice", "drawing"}), step.id
        assert "text" not in step.accept and "photo" not in step.accept, step.id
        # Read aloud in one breath: a short prompt, no hint to read out as well.
        assert len(step.prompt.split()) <= 8 and len(step.prompt) <= 50, step.prompt
        assert step.hint is None, step.id
        # Every option is a picture to tap.
        assert all(option.picture for option in step.options), step.id


@pytest.mark.parametrize("qid", sorted(SHIPPED))
def test_shipped_uses_every_step_kind(shipped, qid):
    kinds = {step.kind for step in shipped[qid].steps}
    assert kinds == set(KINDS)
    for kind in ("text", "voice", "drawing", "photo"):
        assert kind in kinds


@pytest.mark.parametrize("qid", sorted(SHIPPED))
def test_shipped_themes_in_order(shipped, qid):
    ids = [step.id for step in shipped[qid].steps]
    themes = ["welcome", "your-words", "you-choose", "feel-today", "going-well",
              "worries", "hopes", "people", "safe-places", "help", "panel",
              "anything-else", "thank-you"]
    positions = [ids.index(theme) for theme in themes]
    assert positions == sorted(positions)
    q = shipped[qid]
    assert q.steps[0].kind == "info" and q.steps[-1].kind == "info"
    assert q.step("feel-today").kind == "feelings"
    assert q.step("going-well").kind == "choice"
    assert q.step("safe-places").kind == "choice"
    assert q.step("help").kind == "choice"
    # The help step offers what the design asks for.
    help_ids = {option.id for option in q.step("help").options}
    assert {"someone-to-talk-to", "safe-home", "doctor", "family", "papers",
            "something-else"} <= help_ids
    # The panel step says, in the prompt, who the panel is.
    assert q.step("panel").prompt.startswith("The panel is ")
    # No photo of people: the "people who matter" step does not take photos.
    assert "photo" not in q.step("people").accept


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_shipped_steps_are_skippable_except_info(shipped, qid):
    for step in shipped[qid].steps:
        assert step.skippable == (step.kind != "info")


def test_pictogram_constant_is_the_design_list():
    assert set(PICTOGRAMS) == EXPECTED_PICTOGRAMS


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_shipped_pictograms_exist(qid):
    # Read the raw TOML so this does not rely on the loader's own check.
    data = tomllib.loads(EVERY[qid].read_text(encoding="utf-8"))
    used = set()
    for step in data["steps"]:
        if "picture" in step:
            used.add(step["picture"])
        for option in step.get("options", []):
            if "picture" in option:
                used.add(option["picture"])
    assert used, "expected the questionnaire to use pictograms"
    assert used <= PICTOGRAMS, f"unknown pictograms: {sorted(used - PICTOGRAMS)}"


def test_for_age_band(shipped):
    assert [q.id for q in for_age_band(shipped, "8-11")] == ["my-views-8-11"]
    assert [q.id for q in for_age_band(shipped, "12-15")] == ["my-views-12-17"]
    assert [q.id for q in for_age_band(shipped, "16-17")] == ["my-views-12-17"]
    assert [q.id for q in for_age_band(shipped, "4-7")] == ["my-feelings-4-7"]
    # Also takes a plain iterable of questionnaires.
    assert [q.id for q in for_age_band(list(shipped.values()), "8-11")] == ["my-views-8-11"]
    assert set(AGE_BANDS) == {"4-7", "8-11", "12-15", "16-17"}
    with pytest.raises(ValueError, match="adult"):
        for_age_band(shipped, "adult")


# Views, wishes and feelings - not evidence. None of these may appear in
# anything the child sees.
LEADING = [
    r"what happened", r"happened to you", r"who brought", r"brought you",
    r"journey", r"abuse", r"traffick", r"exploit", r"smuggl", r"police",
    r"crime", r"evidence", r"came to the uk", r"come to the uk", r"\barriv",
    r"\bborder", r"hurt you", r"\bforced?\b", r"\bdebt", r"\bowe\b",
    r"how did you", r"\bpast\b",
]
# Pressing or promising words.
PRESSING = [
    r"\bmust\b", r"\bhave to\b", r"\bshould\b", r"\bwhy\b", r"\bpromise",
    r"will do what", r"will get", r"will make sure", r"will decide",
]


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_no_leading_or_pressing_words(shipped, qid):
    found = []
    for where, text in texts(shipped[qid]):
        for pattern in LEADING + PRESSING:
            if re.search(pattern, text, re.IGNORECASE):
                found.append(f"{where}: {pattern!r} in {text!r}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_shipped_texts_are_short(shipped, qid):
    limit = 120 if qid == "my-views-12-17" else 110
    for where, text in texts(shipped[qid]):
        assert len(text) <= limit, f"{where} is long: {text!r}"
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            assert len(sentence.split()) <= 16, f"{where}: long sentence {sentence!r}"


# --------------------------------------------------------------------------
# Broken files

HEADER = 'id = "broken"\nversion = 1\ntitle = "Test"\nage_bands = ["8-11"]\n\n'
HELLO = '[[steps]]\nid = "hello"\nkind = "info"\nprompt = "Hello."\n\n'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(QuestionnaireError) as caught:
        load_file(path)
    return str(caught.value)


# (case name, file body, fragments the message must contain: where + problem)
BROKEN = [
    ("unknown-kind",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "slider"\nprompt = "How?"\n',
     ['step 2 "feel"', "unknown kind 'slider'"]),
    ("missing-step-key",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "text"\n',
     ['step 2 "feel"', "missing key 'prompt'"]),
    ("missing-step-id",
     HEADER + HELLO + '[[steps]]\nkind = "text"\nprompt = "Say it."\n',
     ["step 2", "missing key 'id'"]),
    ("unknown-step-key",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "text"\nprompt = "Say it."\nrequired = true\n',
     ['step 2 "feel"', "unknown key 'required'"]),
    ("duplicate-step-id",
     HEADER + HELLO + HELLO,
     ['step 2 "hello"', 'duplicate step id "hello"', "also step 1"]),
    ("bad-step-id",
     HEADER + HELLO + '[[steps]]\nid = "Feel_Today"\nkind = "text"\nprompt = "Say it."\n',
     ['step 2 "Feel_Today"', "bad step id 'Feel_Today'"]),
    ("duplicate-option-id",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\n'
     'options = [ { id = "sad", label = "Sad", picture = "sad" },\n'
     '            { id = "sad", label = "Very sad", picture = "sad" } ]\n',
     ['step 2 "feel", option 2 "sad"', 'duplicate option id "sad"']),
    ("bad-option-id",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
     'options = [ { id = "a b", label = "A" } ]\n',
     ['step 2 "pick", option 1 "a b"', "bad option id 'a b'"]),
    ("unknown-option-key",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
     'options = [ { id = "a", label = "A", colour = "red" } ]\n',
     ['step 2 "pick", option 1 "a"', "unknown key 'colour'"]),
    ("missing-option-label",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
     'options = [ { id = "a" } ]\n',
     ['step 2 "pick", option 1 "a"', "missing key 'label'"]),
    ("safety-signal-on-feelings",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\n'
     'options = [ { id = "sad", label = "Sad", picture = "sad", safety_signal = true } ]\n',
     ['step 2 "feel", option 1 "sad"', "safety_signal is only for options of choice steps"]),
    ("safety-signal-not-a-flag",
     HEADER + HELLO + '[[steps]]\nid = "safe"\nkind = "choice"\nprompt = "Safe?"\n'
     'options = [ { id = "no", label = "No", safety_signal = "yes" } ]\n',
     ['step 2 "safe", option 1 "no"', "safety_signal must be true or false, not 'yes'"]),
    ("unknown-age-band",
     HEADER.replace('["8-11"]', '["8-11", "adult"]') + HELLO,
     ["unknown age band 'adult'"]),
    ("repeated-age-band",
     HEADER.replace('["8-11"]', '["8-11", "8-11"]') + HELLO,
     ["age band '8-11' is listed twice"]),
    ("no-age-bands",
     HEADER.replace('["8-11"]', "[]") + HELLO,
     ["age_bands must be a non-empty list"]),
    ("unknown-step-picture",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "text"\nprompt = "Say it."\npicture = "unicorn"\n',
     ['step 2 "feel"', "unknown pictogram 'unicorn'"]),
    ("unknown-option-picture",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\n'
     'options = [ { id = "glad", label = "Glad", picture = "smiley" } ]\n',
     ['step 2 "feel", option 1 "glad"', "unknown pictogram 'smiley'"]),
    ("feelings-option-without-picture",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\n'
     'options = [ { id = "glad", label = "Glad" } ]\n',
     ['step 2 "feel", option 1 "glad"', "feelings options need a picture"]),
    ("options-on-info",
     HEADER + '[[steps]]\nid = "hello"\nkind = "info"\nprompt = "Hello."\n'
     'options = [ { id = "a", label = "A" } ]\n',
     ['step 1 "hello"', "an info step takes no options"]),
    ("options-on-open",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "open"\nprompt = "Say it."\n'
     'options = [ { id = "a", label = "A" } ]\n',
     ['step 2 "say"', "an open step takes no options"]),
    ("multiple-on-text",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "text"\nprompt = "Say it."\nmultiple = true\n',
     ['step 2 "say"', "a text step takes no multiple"]),
    ("multiple-not-bool",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
     'multiple = "yes"\noptions = [ { id = "a", label = "A" } ]\n',
     ['step 2 "pick"', "multiple must be true or false"]),
    ("choice-without-options",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n',
     ['step 2 "pick"', "a choice step needs options"]),
    ("feelings-with-empty-options",
     HEADER + HELLO + '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\noptions = []\n',
     ['step 2 "feel"', "a feelings step needs a non-empty list of options"]),
    ("bad-accept-value",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "open"\nprompt = "Say it."\naccept = ["text", "video"]\n',
     ['step 2 "say"', "bad accept value 'video'"]),
    ("empty-accept",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "open"\nprompt = "Say it."\naccept = []\n',
     ['step 2 "say"', "accept must be a non-empty list"]),
    ("repeated-accept",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "open"\nprompt = "Say it."\naccept = ["voice", "voice"]\n',
     ['step 2 "say"', "accept value 'voice' is listed twice"]),
    ("accept-on-voice",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "voice"\nprompt = "Say it."\naccept = ["voice"]\n',
     ['step 2 "say"', "a voice step takes no accept"]),
    ("empty-prompt",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "text"\nprompt = "   "\n',
     ['step 2 "say"', "prompt is empty"]),
    ("empty-hint",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "text"\nprompt = "Say it."\nhint = ""\n',
     ['step 2 "say"', "hint is empty"]),
    ("empty-label",
     HEADER + HELLO + '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
     'options = [ { id = "a", label = "" } ]\n',
     ['step 2 "pick", option 1 "a"', "label is empty"]),
    ("percent-in-prompt",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "text"\nprompt = "100% sure?"\n',
     ['step 2 "say"', "prompt contains %"]),
    ("bad-audio",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "voice"\nprompt = "Say it."\naudio = "../secret.mp3"\n',
     ['step 2 "say"', "bad audio '../secret.mp3'"]),
    ("prompt-not-string",
     HEADER + HELLO + '[[steps]]\nid = "say"\nkind = "text"\nprompt = 3\n',
     ['step 2 "say"', "prompt must be a string"]),
    ("version-zero",
     HEADER.replace("version = 1", "version = 0") + HELLO,
     ["version must be a positive integer, not 0"]),
    ("version-string",
     HEADER.replace("version = 1", 'version = "1"') + HELLO,
     ["version must be a positive integer, not '1'"]),
    ("version-bool",
     HEADER.replace("version = 1", "version = true") + HELLO,
     ["version must be a positive integer, not True"]),
    ("version-float",
     HEADER.replace("version = 1", "version = 1.5") + HELLO,
     ["version must be a positive integer, not 1.5"]),
    ("missing-top-key",
     HEADER.replace('title = "Test"\n', "") + HELLO,
     ["missing key 'title' at the top level"]),
    ("unknown-top-key",
     HEADER + 'colour = "blue"\n' + HELLO,
     ["unknown key 'colour' at the top level"]),
    ("bad-questionnaire-id",
     HEADER.replace('"broken"', '"Broken One"') + HELLO,
     ["bad questionnaire id 'Broken One'"]),
    ("empty-title",
     HEADER.replace('"Test"', '""') + HELLO,
     ["title is empty"]),
    ("no-steps",
     HEADER + "steps = []\n",
     ["steps must be a non-empty array of tables"]),
]


@pytest.mark.parametrize("case,body,fragments", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_file_is_reported(tmp_path, case, body, fragments):
    path = write(tmp_path, f"{case}.toml", body)
    message = error_for(path)
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_broken_file_stops_load_all(tmp_path):
    write(tmp_path, "good.toml", HEADER.replace('"broken"', '"good"') + HELLO)
    bad = write(tmp_path, "bad.toml", HEADER + HELLO + '[[steps]]\nid = "x"\nkind = "nope"\nprompt = "P"\n')
    with pytest.raises(QuestionnaireError) as caught:
        load_all(tmp_path)
    assert str(caught.value).startswith(f"{bad}: ")
    assert 'step 2 "x"' in str(caught.value)
    assert "unknown kind 'nope'" in str(caught.value)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "syntax.toml", HEADER + HELLO + '[[steps]]\nid = "say"\nprompt = "unclosed\n')
    message = error_for(path)
    assert message.startswith(f"{path}: TOML syntax error")
    assert "line 13" in message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes((HEADER + HELLO).replace("Hello.", "Olá.").encode("latin-1"))
    assert "not valid UTF-8" in error_for(path)


def test_duplicate_questionnaire_ids_across_files(tmp_path):
    first = write(tmp_path, "a.toml", HEADER + HELLO)
    second = write(tmp_path, "b.toml", HEADER + HELLO)
    with pytest.raises(QuestionnaireError) as caught:
        load_all(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{second}: ")
    assert 'duplicate questionnaire id "broken"' in message
    assert str(first) in message


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(QuestionnaireError, match="does not exist"):
        load_all(tmp_path / "nowhere")
    with pytest.raises(QuestionnaireError, match="no questionnaire"):
        load_all(tmp_path)


def test_defaults(tmp_path):
    path = write(tmp_path, "ok.toml", HEADER + HELLO + (
        '[[steps]]\nid = "feel"\nkind = "feelings"\nprompt = "How?"\n'
        'options = [ { id = "sad", label = "Sad", picture = "sad" } ]\n\n'
        '[[steps]]\nid = "pick"\nkind = "choice"\nprompt = "Pick."\n'
        'options = [ { id = "a", label = "A" } ]\n\n'
        '[[steps]]\nid = "say"\nkind = "open"\nprompt = "Say it."\n\n'
        '[[steps]]\nid = "draw"\nkind = "drawing"\nprompt = "Draw it."\n'
    ))
    q = load_file(path)
    assert q.step("hello").hint is None and q.step("hello").picture is None
    assert q.step("hello").audio is None and not q.step("hello").skippable
    assert q.step("feel").multiple is True
    assert q.step("pick").multiple is False
    assert q.step("pick").options[0].picture is None
    assert q.step("say").accept == ("text", "voice", "drawing", "photo")
    assert q.step("draw").accept == ("drawing",)
    assert q.step("feel").accept == ()
    with pytest.raises(KeyError):
        q.step("missing")


# --------------------------------------------------------------------------
# Babel extractor


@pytest.mark.parametrize("qid", sorted(EVERY))
def test_extractor_yields_every_string_with_comment(shipped, qid):
    path = EVERY[qid]
    lines = path.read_text(encoding="utf-8").splitlines()
    with path.open("rb") as fileobj:
        results = list(extract_toml(fileobj, ["_", "gettext"], [], {}))

    for lineno, funcname, message, comments in results:
        assert funcname is None
        assert isinstance(message, str) and message
        assert comments and comments[0].startswith(f"questionnaire {qid}, ")
        assert message in lines[lineno - 1], (lineno, message)

    extracted = {(message, comments[0]) for _, _, message, comments in results}
    q = shipped[qid]
    expected = {(q.title, f"questionnaire {qid}, title")}
    for step in q.steps:
        where = f"questionnaire {qid}, step {step.id} ({step.kind})"
        expected.add((step.prompt, f"{where}, prompt"))
        if step.hint is not None:
            expected.add((step.hint, f"{where}, hint"))
        for option in step.options:
            expected.add((option.label, f"{where}, option {option.id}, option label"))
    assert extracted == expected
    assert len(results) == len(expected)


def test_extractor_works_through_babel():
    with SHIPPED["my-views-8-11"].open("rb") as fileobj:
        messages = list(extract("voice.capture.babel_extract:extract_toml", fileobj))
    ids = {message for _, message, _, _ in messages}
    assert "How do you feel today?" in ids
    assert "Mixed up" in ids
    for _, _, comments, context in messages:
        assert comments and context is None


@pytest.mark.parametrize("mapping", [
    "[voice.capture.babel_extract.extract_toml: **/questionnaires/*.toml]\n",
    "[extractors]\nquestionnaire = voice.capture.babel_extract:extract_toml\n\n"
    "[questionnaire: **/questionnaires/*.toml]\n",
])
def test_babel_cfg_mapping(mapping):
    method_map, options_map = parse_mapping_cfg(io.StringIO(mapping))
    package = Path(__file__).resolve().parents[1] / "voice"
    found = {}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package), method_map, options_map
    ):
        found.setdefault(Path(filename).name, set()).add(message)
    assert {"my-views-8-11.toml", "my-views-12-17.toml"} <= set(found)
    assert "What help would you like?" in found["my-views-12-17.toml"]


def test_extractor_rejects_broken_file():
    fileobj = io.BytesIO((HEADER + '[[steps]]\nid = "x"\nkind = "nope"\nprompt = "P"\n').encode())
    fileobj.name = "broken.toml"
    with pytest.raises(QuestionnaireError, match=r"broken\.toml: step 1 \"x\": unknown kind"):
        list(extract_toml(fileobj, [], [], {}))
