"""Names of the pictures on child pages, for screen readers, in the child's language.

The pictures are Twemoji (CC BY 4.0, see static/ATTRIBUTION.md), built into
static/build/pictograms/NAME.svg from static/pictograms.toml and into sprites that pages use (one
request for all a page's pictures, cached a year: see `url`); these are the same labels, written
out here so that Babel extracts them for translation.
"""
from flask import g, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

LABELS = {
    "happy": _l("Happy"),
    "sad": _l("Sad"),
    "angry": _l("Angry"),
    "scared": _l("Scared"),
    "worried": _l("Worried"),
    "calm": _l("Calm"),
    "tired": _l("Tired"),
    "confused": _l("Confused"),
    "lonely": _l("Lonely"),
    "okay": _l("Okay"),
    "excited": _l("Excited"),
    "dont_know": _l("I don't know"),
    "thinking": _l("Thinking"),
    "hope": _l("Hope"),
    "heart": _l("Love"),
    "sleep": _l("Sleep"),
    "wave": _l("Hello"),
    "family": _l("Family"),
    "friend": _l("Friend"),
    "people": _l("People"),
    "panel": _l("The people who decide"),
    "adult": _l("A grown-up who helps"),
    "home": _l("Home"),
    "safe": _l("Safe"),
    "school": _l("School"),
    "help": _l("Help"),
    "doctor": _l("Doctor / health"),
    "language": _l("Language"),
    "sun": _l("Sun"),
    "weather": _l("Weather"),
    "tree": _l("Tree"),
    "flower": _l("Flower"),
    "book": _l("Book"),
    "ball": _l("Playing"),
    "game": _l("Games"),
    "teddy": _l("Toy"),
    "music": _l("Music"),
    "food": _l("Food"),
    "water": _l("Water"),
    "clothes": _l("Clothes"),
    "bed": _l("Bed"),
    "cat": _l("Cat"),
    "dog": _l("Dog"),
    "phone": _l("Phone"),
    "lock": _l("Private"),
    "speak": _l("Say"),
    "listen": _l("Listen"),
    "question": _l("Question"),
    "pencil": _l("Draw"),
    "draw": _l("Drawing"),
    "write": _l("Write"),
    "keyboard": _l("Type"),
    "camera": _l("Photo"),
    "microphone": _l("Record your voice"),
    "record": _l("Record"),
    "stop_recording": _l("Stop recording"),
    "pause": _l("Pause"),
    "timer": _l("Time"),
    "play": _l("Read aloud"),
    "mute": _l("Sound off"),
    "eraser": _l("Rubber"),
    "undo": _l("Undo"),
    "clear": _l("Clear"),
    "tick": _l("Done"),
    "no": _l("No"),
    "well_done": _l("Well done"),
    "stop": _l("Stop"),
    "hide": _l("Hide this screen"),
    "back": _l("Back"),
    "forward": _l("Next"),
    "share": _l("Send"),
}


SPRITE = "build/pictograms.svg"


def step_sprite(questionnaire_id: str, step_id: str) -> str:
    return f"build/pictograms/steps/{questionnaire_id}/{step_id}.svg"


def url(name: str) -> str:
    """The picture in the page's sprite (an <svg><use href=...> target): the sprite of a step's
    own pictures on a step page (see `for_step`), else the one of every picture."""
    if "picture_href" not in g:
        g.picture_href = url_for("static", filename=g.get("picture_sprite", SPRITE)) + "#"
    return g.picture_href + name


def for_step(questionnaire_id: str, step_id: str) -> None:
    """This page is that step's: its pictures come from the step's sprite (scripts/build_assets.py
    writes one for each step of each questionnaire, with the pictures of every step page)."""
    g.picture_sprite = step_sprite(questionnaire_id, step_id)
    g.pop("picture_href", None)


def show(name: str, classes: str = "", labelled: bool = False) -> Markup:
    """A picture from the sprite: named by its label in the child's language when `labelled`,
    else hidden from screen readers (the words beside it say what it means)."""
    named = Markup(' role="img" aria-label="%s"') % label(name) if labelled else \
        Markup(' aria-hidden="true"')
    return Markup('<svg class="%s"%s focusable="false"><use href="%s"/></svg>') % (
        classes, named, url(name))


def label(name: str | None) -> str:
    return str(LABELS.get(name, "")) if name else ""
