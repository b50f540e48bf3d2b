"""The child-views-summary document: built from the reviewed items, validated against the
published schema, stored sealed under the case key as an immutable, numbered version."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from flask_babel import force_locale, gettext
from jsonschema import Draft202012Validator
from sqlalchemy import select

from .. import db, i18n
from ..cases.service import cipher
from ..cases.service import name as case_name
from ..consent import service as consent
from ..models import SHARE_PANEL, CaptureSession, Case, Summary, User

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "child-views-summary-1.json"
SCHEMA_NAME, SCHEMA_VERSION = "child-views-summary", 1


class InvalidSummary(Exception):
    """A produced summary does not match the published schema (a bug: never sent)."""


@lru_cache(maxsize=1)
def schema() -> dict:
    document = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return document


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(document: dict) -> dict:
    """Raise InvalidSummary unless the document matches child-views-summary version 1."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise InvalidSummary(f"{len(errors)} schema errors; first at /{where}: {errors[0].message}")
    return document


def _in_language(text: str, code: str) -> str:
    with force_locale(i18n.LOCALES.get(code, "en")):
        return gettext(text)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_document(item) -> dict:
    version, step, lang = item.version, item.step, item.version.language
    form = version.form
    options = []
    if form in ("feelings", "choice"):
        chosen = set(item.value or [])
        options = [{"id": o.id, "en": o.label, "child_language": _in_language(o.label, lang)}
                   for o in step.options if o.id in chosen]
    translation = None
    if item.takes_translation and item.translation:
        translation = {"text": item.translation, "provenance": item.provenance or "draft"}
    account = None
    if item.needs_account and item.account:
        account = {"text": item.account, "written_by": "advocate",
                   "provenance": item.provenance or "draft"}
    media = None
    if version.media_file_id and (form in ("drawing", "photo")
                                  or (form == "voice" and item.choice == SHARE_PANEL)):
        media = {"id": version.id, "type": version.media_type,
                 "seconds": version.media_seconds}
    return {
        "id": item.answer.id, "withdrawn": False, "session_id": item.session.id, "kind": form,
        "sharing": item.choice, "language": lang,
        "question": {"en": step.prompt, "child_language": _in_language(step.prompt, lang)},
        "child_words": item.value if form == "text" else None,
        "options": options, "translation": translation, "account": account, "media": media,
    }


def _session_document(session: CaptureSession) -> dict:
    record = consent.latest_consent(session)
    return {"id": session.id, "date": session.started_at.date().isoformat(),
            "language": session.language,
            "consent": {"agreed": True,
                        "given_how": record.given_how if record else None,
                        "understood": record.understood if record else None,
                        "interpreter_language": record.interpreter_language if record else None}}


def build_document(case: Case, items: list, overview: str, summary_id: str, number: int,
                   previous: Summary | None, approver: User, approved_at: datetime) -> dict:
    """The child-views-summary document for these items (review.service.ReviewItem) and the
    advocate's overview (not yet validated or stored)."""
    sessions = []
    for item in items:
        if item.session not in sessions:
            sessions.append(item.session)
    return {
        "schema": {"name": SCHEMA_NAME, "version": SCHEMA_VERSION},
        "summary": {"id": summary_id, "version": number,
                    "previous_id": previous.id if previous else None, "changes": []},
        "case": {"id": case.id, "panel_reference": None,
                 "panel_date": case.panel_date.isoformat() if case.panel_date else None},
        "child": {"called": case_name(case), "age_band": case.age_band,
                  "languages": list(dict.fromkeys(case.languages or []))},
        "sessions": [_session_document(s) for s in sessions],
        "items": [_item_document(item) for item in items],
        "overview": {"text": overview, "written_by": approver.display_name, "role": "advocate"},
        "approval": {"approved_by": approver.display_name, "role": "advocate",
                     "approved_at": _iso(approved_at)},
    }


def changes_between(old: dict, new: dict) -> list[dict]:
    """What changed from one version to the next, as counts (no content)."""
    def items(document):
        return {i["id"]: i for i in document["items"] if not i.get("withdrawn")}
    before, after = items(old), items(new)
    counts = {
        "items_added": len(after.keys() - before.keys()),
        "items_removed": len(before.keys() - after.keys()),
        "items_changed": sum(1 for key in after.keys() & before.keys()
                             if after[key] != before[key]),
        "overview_changed": int(old["overview"]["text"] != new["overview"]["text"]),
        "sessions_added": len({s["id"] for s in new["sessions"]}
                              - {s["id"] for s in old["sessions"]}),
    }
    return [{"change": key, "count": count} for key, count in counts.items() if count]


def summaries_of(case: Case) -> list[Summary]:
    """Every version, newest first."""
    return list(db.session().scalars(select(Summary).where(Summary.case_id == case.id)
                                     .order_by(Summary.number.desc())))


def store(case: Case, document: dict, approver: User, approved_at: datetime) -> Summary:
    """A new version holding the (validated) document, sealed under the case key."""
    validate(document)
    summary = Summary(id=document["summary"]["id"], case_id=case.id, panel_id=case.panel_id,
                      number=document["summary"]["version"], schema_version=SCHEMA_VERSION,
                      changes=document["summary"]["changes"], item_count=len(document["items"]),
                      approved_by_id=approver.id, approved_at=approved_at)
    summary.case = case
    summary.body = cipher(case).seal(summary.id, "body", json.dumps(
        document, ensure_ascii=False, separators=(",", ":")))
    db.session().add(summary)
    db.session().flush()
    return summary


def stored(summary: Summary) -> dict:
    """The summary as approved (the caller audits the read)."""
    return json.loads(cipher(summary.case).open(summary.id, "body", summary.body))
