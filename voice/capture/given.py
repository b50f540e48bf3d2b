"""What the child gave for one step, stored the same way from a form post and from the queue of
an offline device: chosen options, words, or a checked file."""
from __future__ import annotations

from . import media, service
from .questionnaire import Step


def store(capture, step: Step, form: str, latest, options=(), text: str | None = None,
          cleaned: media.Cleaned | None = None) -> None:
    """Save a new version (or an emptied answer); nothing when nothing changed. `latest`: the
    answer's latest version, as just read. Raises service.TooLong for words over the limit."""
    if form in ("feelings", "choice"):
        known = [o.id for o in step.options]
        picked = sorted({o for o in options if o in known}, key=known.index)
        picked = picked[: None if step.multiple else 1]
        if picked:
            service.save(capture, step, form, picked, latest=latest)
        elif latest is not None and latest.form != "cleared":
            service.save(capture, step, "cleared", latest=latest)
    elif form == "text":
        words = service.written(text)
        if words:
            service.save(capture, step, "text", words, latest=latest)
        elif latest is not None and latest.form == "text":
            service.save(capture, step, "cleared", latest=latest)
    elif cleaned is not None:  # no file: an earlier answer stays as it was
        try:
            service.save(capture, step, form, upload=cleaned, latest=latest)
        finally:
            cleaned.discard()
