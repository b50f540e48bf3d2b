"""The advocate's review, the versioned summary of the child's views, and withdrawal of sharing.

The advocate works on the items the child shared (translation, provenance, a written account of
a recording shared as words only) and writes an overview in their own words. Approval builds a
child-views-summary document (voice/schemas/child-views-summary-1.json), validates it and stores
it sealed under the case key as an immutable, numbered version.

`for_panel(summary)` is the one door to a summary for anybody outside the child's team: every
panel page, the JSON, the print layout, the webhook body and the media links go through it. It
checks each item's *current* sharing choice, so an item the child withdrew disappears at once
(it is shown only as "withdrawn by the child"), and a recording shared as words only never gets
an audio link.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator
from sqlalchemy import event, select
from sqlalchemy.orm import Session, attributes

from .. import audit, db, i18n, policy
from ..capture import service as capture
from ..capture.questionnaire import Step
from ..cases.service import cipher
from ..cases.service import name as case_name
from ..consent import service as consent
from ..delivery import push
from ..delivery import service as delivery
from ..models import (ADVOCATE, CHECKED_PROVENANCES, ICTG, ORG_ADMIN, PANEL_MEMBER, PROVENANCES,
                      SHARE_PANEL, SHARE_PRIVATE, SHARE_WORDS, Answer, AnswerVersion,
                      CaptureSession, Case, CaseReview, ItemReview, SafeguardingConcern, SendBack,
                      Summary, User, Withdrawal, new_id, now)

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "child-views-summary-1.json"
SCHEMA_NAME, SCHEMA_VERSION = "child-views-summary", 1
MEDIA_LINK_TTL = timedelta(hours=24)
TEXT_MAX = 10000
SHARED = (SHARE_PANEL, SHARE_WORDS)

# Extra notice kinds (Web Push and in-app): a concern goes to the ICTG and the org admin. The
# words are fixed and say nothing about the child.
SAFEGUARDING_ICTG, SAFEGUARDING_ADMIN = "safeguarding_concern", "safeguarding_concern_admin"
_CONCERN_TEXT = _l("A safeguarding concern was raised about a child. Sign in to voice to read it.")
push.KINDS.setdefault(SAFEGUARDING_ICTG, (ICTG, _CONCERN_TEXT))
push.KINDS.setdefault(SAFEGUARDING_ADMIN, (ORG_ADMIN, _CONCERN_TEXT))


class NotReady(Exception):
    """Approval is blocked: `problems` is [(anchor, message)] for the error summary."""

    def __init__(self, problems):
        super().__init__("not ready")
        self.problems = problems


class NothingChanged(Exception):
    """Nothing changed since the last version: there is nothing new to approve."""


class InvalidSummary(Exception):
    """A produced summary does not match the published schema (a bug: never sent)."""


# --- the permission rules of this capability -------------------------------------------------

def _team(user: User, case: Case) -> bool:
    return policy.allowed(user, "case.read", case)


def _advocate(user: User, case: Case) -> bool:
    return user.role == ADVOCATE and _team(user, case)


def _ictg(user: User, case: Case) -> bool:
    return user.role == ICTG and _team(user, case)


def panel_member_of(user: User, panel_id: str) -> bool:
    return user.role == PANEL_MEMBER and user.org_id == panel_id


policy.RULES[Case].update({
    "review.edit": _advocate,
    "safeguarding.raise": _advocate,
    "safeguarding.read": lambda u, c: _team(u, c) or (u.role == ORG_ADMIN
                                                     and u.org_id == c.provider_id),
    "sharing.withdraw": _ictg,
    "feedback.record": _ictg,
})
# A panel member may know a summary (and so its case) only once it was submitted to their
# panel; the versions they received stay readable to them.
policy.register(Summary, {
    "summary.read": lambda u, s: _team(u, s.case) or panel_member_of(u, s.panel_id),
    "summary.outcome": lambda u, s: panel_member_of(u, s.panel_id),
    "summary.reference": lambda u, s: panel_member_of(u, s.panel_id),
}, knowing=("summary.read",), case_of=lambda s: s.case)


# --- the schema ------------------------------------------------------------------------------

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


# --- the items of a review -------------------------------------------------------------------

@dataclass
class ReviewItem:
    """One item the child shared, as the advocate works on it."""

    session: CaptureSession
    step: Step
    answer: Answer
    version: AnswerVersion
    choice: str
    value: object
    review: ItemReview | None
    translation: str = ""
    account: str = ""

    @property
    def provenance(self) -> str | None:
        return self.review.provenance if self.review else None

    @property
    def other_language(self) -> bool:
        return self.version.language != "en"

    @property
    def needs_account(self) -> bool:
        """A recording shared as "what I said, not my voice": the panel gets an account."""
        return self.version.form == "voice" and self.choice == SHARE_WORDS

    @property
    def takes_translation(self) -> bool:
        return self.version.form in ("text", "voice") and not self.needs_account

    @property
    def needs_translation(self) -> bool:
        return self.takes_translation and self.other_language

    @property
    def problem(self):
        checked = self.provenance in CHECKED_PROVENANCES
        if self.needs_account and not self.account:
            return _l("Write an account of what the child said in the recording")
        if self.needs_account and self.other_language and not checked:
            return _l("The account of this recording needs a checked translation: choose who "
                      "translated it")
        if self.needs_translation and not self.translation:
            return _l("Add a translation into English")
        if self.needs_translation and not checked:
            return _l("This translation is a draft: it must be checked by an interpreter or "
                      "the advocate")
        return None


def finished_sessions(case: Case) -> list[CaptureSession]:
    return list(db.session().scalars(select(CaptureSession).where(
        CaptureSession.case_id == case.id, CaptureSession.finished_at.is_not(None))
        .order_by(CaptureSession.started_at)))


def shared_items(case: Case, read: bool = True) -> list[ReviewItem]:
    """The items the child currently shares, session by session in questionnaire order.

    Their content is decrypted (each read is audited when `read`).
    """
    sessions = finished_sessions(case)
    by_session = {s.id: capture.answers(s) for s in sessions}
    choices = consent.current_choices(a.id for answers in by_session.values()
                                      for a in answers.values())
    picked = []
    for session in sessions:
        answers = by_session[session.id]
        for step in capture.questionnaire_of(session).steps:
            answer = answers.get(step.id)
            if answer is None or answer.latest is None or answer.latest.form == "cleared":
                continue
            if choices.get(answer.id) in SHARED:
                picked.append((session, step, answer, answer.latest))
    reviews = {r.version_id: r for r in db.session().scalars(select(ItemReview).where(
        ItemReview.version_id.in_([v.id for _s, _t, _a, v in picked])))} if picked else {}
    seal = cipher(case)
    items = []
    for session, step, answer, version in picked:
        review = reviews.get(version.id)
        item = ReviewItem(session, step, answer, version, choices[answer.id],
                          capture.value_of(version), review)
        if review is not None:
            item.translation = seal.open_text(review.id, "translation", review.translation) or ""
            item.account = seal.open_text(review.id, "account", review.account) or ""
        if read:
            audit.record("answer.read", version, case_id=case.id)
        items.append(item)
    return items


def unshared_counts(case: Case) -> tuple[int, int]:
    """(kept private, not shared): how many answers of finished sessions the child chose to keep
    to themselves, and how many answers are in sessions not finished, where the child has not
    chosen yet. Counted only; neither is ever shown to the panel."""
    finished = {s.id for s in finished_sessions(case)}
    answers = [a for a in db.session().scalars(select(Answer).where(Answer.case_id == case.id))
               if a.latest is not None and a.latest.form != "cleared"]
    done = [a for a in answers if a.session_id in finished]
    choices = consent.current_choices(a.id for a in done)
    return sum(1 for a in done if choices[a.id] not in SHARED), len(answers) - len(done)


def save_item(case: Case, item: ReviewItem, user: User, translation: str, account: str,
              provenance: str | None) -> None:
    """Store the advocate's translation/account for an item (only what changed)."""
    translation = (translation or "").strip()[:TEXT_MAX]
    account = (account or "").strip()[:TEXT_MAX]
    if provenance not in PROVENANCES:
        provenance = None
    if (translation or account) and provenance is None:
        provenance = "draft"
    if not item.takes_translation:
        translation = ""
    if not item.needs_account:
        account = ""
    if (translation, account, provenance) == (item.translation, item.account, item.provenance):
        return
    review = item.review
    if review is None:
        review = ItemReview(id=new_id(), case_id=case.id, answer_id=item.answer.id,
                            version_id=item.version.id)
        db.session().add(review)
        item.review = review
    seal = cipher(case)
    review.translation = seal.seal(review.id, "translation", translation) if translation else None
    review.account = seal.seal(review.id, "account", account) if account else None
    review.provenance = provenance if (translation or account) else None
    review.updated_by_id, review.updated_at = user.id, now()
    item.translation, item.account = translation, account
    audit.record("review.item", review)


def case_review(case: Case) -> CaseReview | None:
    return db.session().scalar(select(CaseReview).where(CaseReview.case_id == case.id))


def overview(case: Case) -> str:
    review = case_review(case)
    if review is None:
        return ""
    return cipher(case).open_text(review.id, "overview", review.overview) or ""


def save_overview(case: Case, user: User, text: str) -> None:
    text = (text or "").strip()[:TEXT_MAX]
    if text == overview(case):
        return
    review = case_review(case)
    if review is None:
        review = CaseReview(id=new_id(), case_id=case.id)
        db.session().add(review)
    review.overview = cipher(case).seal(review.id, "overview", text) if text else None
    review.updated_by_id, review.updated_at = user.id, now()
    audit.record("review.overview", review)


def problems(case: Case, items: list[ReviewItem]) -> list[tuple[str, object]]:
    """What blocks approval, as (anchor, message) for the error summary."""
    found = []
    if not items:
        found.append(("items", _l("There is nothing the child has shared with the panel yet")))
    for item in items:
        if item.problem is not None:
            found.append((f"item-{item.answer.id}", item.problem))
    if not overview(case):
        found.append(("overview", _l("Write your overview")))
    return found


# --- sending back, safeguarding --------------------------------------------------------------

def send_back(case: Case, user: User, reason: str) -> SendBack:
    record = SendBack(id=new_id(), case_id=case.id, sent_by_id=user.id)
    record.reason = cipher(case).seal(record.id, "reason", reason.strip()[:TEXT_MAX])
    db.session().add(record)
    audit.record("review.send_back", record)
    return record


def send_backs(case: Case) -> list[tuple[SendBack, str]]:
    """Every send-back with its reason, newest first (reads audited)."""
    rows = db.session().scalars(select(SendBack).where(SendBack.case_id == case.id)
                                .order_by(SendBack.sent_at.desc())).all()
    seal = cipher(case)
    for row in rows:
        audit.record("review.send_back_read", row)
    return [(row, seal.open_text(row.id, "reason", row.reason) or "") for row in rows]


def raise_concern(case: Case, user: User, text: str) -> SafeguardingConcern:
    """Record a concern and tell the ICTG and the provider's org admins. Never to the panel."""
    concern = SafeguardingConcern(id=new_id(), case_id=case.id, raised_by_id=user.id)
    concern.concern = cipher(case).seal(concern.id, "concern", text.strip()[:TEXT_MAX])
    db.session().add(concern)
    audit.record("safeguarding.raise", concern)
    target = {"case_id": case.id}
    if case.ictg_id:
        push.notify([case.ictg_id], SAFEGUARDING_ICTG, target="cases.show", target_args=target)
    admins = db.session().scalars(select(User.id).where(
        User.org_id == case.provider_id, User.role == ORG_ADMIN, User.active.is_(True))).all()
    push.notify(admins, SAFEGUARDING_ADMIN, target="cases.show", target_args=target)
    return concern


def concerns(case: Case) -> list[tuple[SafeguardingConcern, str]]:
    rows = db.session().scalars(select(SafeguardingConcern).where(
        SafeguardingConcern.case_id == case.id).order_by(SafeguardingConcern.raised_at.desc())).all()
    seal = cipher(case)
    for row in rows:
        audit.record("safeguarding.read", row)
    return [(row, seal.open_text(row.id, "concern", row.concern) or "") for row in rows]


# --- summaries -------------------------------------------------------------------------------

def summaries_of(case: Case) -> list[Summary]:
    """Every version, newest first."""
    return list(db.session().scalars(select(Summary).where(Summary.case_id == case.id)
                                     .order_by(Summary.number.desc())))


def versions_for(summary: Summary, user: User) -> list[Summary]:
    """The versions of this summary's case this person may read, newest first."""
    return [s for s in summaries_of(summary.case) if policy.allowed(user, "summary.read", s)]


def stored(summary: Summary) -> dict:
    """The summary as approved (the caller audits the read)."""
    return json.loads(cipher(summary.case).open(summary.id, "body", summary.body))


def _in_language(text: str, code: str) -> str:
    with force_locale(i18n.LOCALES.get(code, "en")):
        return gettext(text)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_document(item: ReviewItem) -> dict:
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


def build_document(case: Case, items: list[ReviewItem], summary_id: str, number: int,
                   previous: Summary | None, approver: User, approved_at: datetime) -> dict:
    """The child-views-summary document for these items (not yet validated or stored)."""
    sessions = []
    for item in items:
        if item.session not in sessions:
            sessions.append(item.session)
    text = overview(case)
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
        "overview": {"text": text, "written_by": approver.display_name, "role": "advocate"},
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


def approve(case: Case, user: User) -> Summary:
    """Approve the review: a new, immutable version of the summary, sent to the case's panel.

    Raises NotReady (what blocks it) or NothingChanged. In the caller's transaction, with the
    outbox event for the panel's endpoints and the notices for its members.
    """
    items = shared_items(case, read=False)
    blocking = problems(case, items)
    if blocking:
        raise NotReady(blocking)
    versions = summaries_of(case)
    previous = versions[0] if versions else None
    summary_id, moment = new_id(), now()
    document = build_document(case, items, summary_id, (previous.number + 1) if previous else 1,
                              previous, user, moment)
    if previous is not None:
        document["summary"]["changes"] = changes_between(stored(previous), document)
        if not document["summary"]["changes"] and previous.panel_id == case.panel_id:
            raise NothingChanged()
    validate(document)
    summary = Summary(id=summary_id, case_id=case.id, panel_id=case.panel_id,
                      number=document["summary"]["version"], schema_version=SCHEMA_VERSION,
                      changes=document["summary"]["changes"], item_count=len(items),
                      approved_by_id=user.id, approved_at=moment)
    summary.case = case
    summary.body = cipher(case).seal(summary.id, "body", json.dumps(
        document, ensure_ascii=False, separators=(",", ":")))
    db.session().add(summary)
    db.session().flush()
    audit.record("summary.approve", summary)
    first_for_panel = not any(v.panel_id == case.panel_id for v in versions)
    delivery.emit(delivery.SUMMARY_SUBMITTED if first_for_panel else delivery.SUMMARY_UPDATED,
                  case.panel_id, case.id, for_panel(summary))
    members = db.session().scalars(select(User.id).where(
        User.org_id == case.panel_id, User.role == PANEL_MEMBER, User.active.is_(True))).all()
    push.notify(members, push.SUMMARY_ARRIVED, target="review.summary",
                target_args={"summary_id": summary.id})
    return summary


# --- the one door for the panel --------------------------------------------------------------

def _media_key() -> bytes:
    return hmac.new(current_app.secret_key.encode() if isinstance(current_app.secret_key, str)
                    else current_app.secret_key, b"voice:summary-media-link",
                    hashlib.sha256).digest()


def _media_signature(path: str, expires: int) -> str:
    return hmac.new(_media_key(), f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def media_link(summary: Summary, version_id: str) -> dict:
    """A signed link to a shared item's file: opaque ids only, expires within 24 hours."""
    expires = int(time.time() + MEDIA_LINK_TTL.total_seconds())
    path = url_for("review.media", summary_id=summary.id, version_id=version_id)
    url = url_for("review.media", summary_id=summary.id, version_id=version_id,
                  expires=expires, signature=_media_signature(path, expires), _external=True)
    return {"url": url, "expires_at": _iso(datetime.fromtimestamp(expires, timezone.utc))}


def media_signature_ok(path: str, expires: str | None, signature: str | None) -> bool:
    try:
        moment = int(expires or "")
    except ValueError:
        return False
    remaining = moment - time.time()
    if remaining <= 0 or remaining > MEDIA_LINK_TTL.total_seconds() + 60:
        return False
    return hmac.compare_digest(_media_signature(path, moment), signature or "")


def panel_reference(case_id: str, panel_id: str) -> str | None:
    from ..panel import service as panel
    return panel.reference_for(case_id, panel_id)


def for_panel(summary: Summary, links: bool = True) -> dict:
    """The summary as anyone outside the child's team may have it now (validated).

    Items whose current sharing choice is not "panel" or "panel_words" are replaced by
    {"id", "withdrawn": true}; a recording now shared as words only loses its audio; media get
    signed links (when `links`); the panel's current reference for the case is filled in.
    """
    document = stored(summary)
    ids = [item["id"] for item in document["items"]]
    choices = consent.current_choices(ids)
    items = []
    for item in document["items"]:
        choice = choices.get(item["id"], SHARE_PRIVATE)
        if item.get("withdrawn") or choice not in SHARED or (
                choice == SHARE_WORDS and item["kind"] != "voice"):
            items.append({"id": item["id"], "withdrawn": True})
            continue
        if choice == SHARE_WORDS and item["sharing"] == SHARE_PANEL:
            item = {**item, "sharing": SHARE_WORDS, "media": None}
        if item["media"] is not None and links:
            item = {**item, "media": {**item["media"], **media_link(summary, item["media"]["id"])}}
        items.append(item)
    document["items"] = items
    document["case"]["panel_reference"] = panel_reference(summary.case_id, summary.panel_id)
    return validate(document)


def media_allowed(summary: Summary, version_id: str) -> bool:
    """Whether the file of this answer version is, right now, part of what the panel may see."""
    return any(not item["withdrawn"] and item["media"] and item["media"]["id"] == version_id
               for item in for_panel(summary, links=False)["items"])


# --- withdrawal ------------------------------------------------------------------------------

def withdraw(case: Case, user: User, answer_ids: list[str] | None, how: str,
             note: str = "") -> Withdrawal | None:
    """The child withdraws sharing of these items (None: of everything). None if nothing to do.

    Appends a `private` sharing record for each, and in the same transaction queues a
    `summary.retracted` event for every panel that already received any of them.
    """
    shared = {answer.id: answer for answer, _choice in consent.shared_with_panel(case)}
    targets = sorted(shared) if answer_ids is None else sorted(set(answer_ids) & shared.keys())
    if not targets:
        return None
    by_session: dict[str, dict[str, str]] = {}
    for answer_id in targets:
        by_session.setdefault(shared[answer_id].session_id, {})[answer_id] = SHARE_PRIVATE
    for session_id, wanted in by_session.items():
        consent.choose(db.session().get(CaptureSession, session_id), user, wanted)
    moment = now()
    record = Withdrawal(id=new_id(), case_id=case.id, everything=answer_ids is None,
                        answer_ids=targets, how=how, recorded_by_id=user.id, recorded_at=moment)
    if note and note.strip():
        record.note = cipher(case).seal(record.id, "note", note.strip()[:TEXT_MAX])
    db.session().add(record)
    audit.record("sharing.withdraw", record)
    received: dict[str, tuple[Summary, set]] = {}
    for summary in summaries_of(case):  # newest first
        ids = {item["id"] for item in stored(summary)["items"]}
        latest, seen = received.get(summary.panel_id, (summary, set()))
        received[summary.panel_id] = (latest, seen | ids)
    for panel_id, (latest, seen) in received.items():
        hit = [answer_id for answer_id in targets if answer_id in seen]
        if hit:
            delivery.emit(delivery.SUMMARY_RETRACTED, panel_id, case.id, {
                "schema": {"name": SCHEMA_NAME, "version": SCHEMA_VERSION},
                "case_id": case.id, "panel_reference": panel_reference(case.id, panel_id),
                "summary_id": latest.id, "items": hit, "everything": answer_ids is None,
                "withdrawn_at": _iso(moment)})
    return record


def withdrawals(case: Case) -> list[Withdrawal]:
    return list(db.session().scalars(select(Withdrawal).where(Withdrawal.case_id == case.id)
                                     .order_by(Withdrawal.recorded_at.desc())))


# --- what the case page shows ----------------------------------------------------------------

@dataclass
class CaseSection:
    may_review: bool = False
    may_withdraw: bool = False
    may_read_concerns: bool = False
    team: bool = False
    finished: int = 0
    summaries: list = field(default_factory=list)       # [(summary, [receipt rows])]
    send_backs: list = field(default_factory=list)      # [(SendBack, reason)] (team only)
    concerns: list = field(default_factory=list)        # [(concern, text)]
    withdrawals: list = field(default_factory=list)
    reach: list = field(default_factory=list)
    outcomes: list = field(default_factory=list)        # from voice.panel


def case_section(case: Case, user: User | None) -> CaseSection:
    """Everything the review/panel section of the case page shows this person."""
    from ..panel import service as panel
    section = CaseSection()
    if user is None or not policy.allowed(user, "case.meta", case):
        return section
    section.team = _team(user, case)
    section.may_review = policy.allowed(user, "review.edit", case)
    section.may_withdraw = policy.allowed(user, "sharing.withdraw", case)
    section.may_read_concerns = policy.allowed(user, "safeguarding.read", case)
    section.finished = len(finished_sessions(case))
    section.summaries = [(s, panel.receipts(s)) for s in summaries_of(case)]
    if section.team:
        section.send_backs = send_backs(case)
    if section.may_read_concerns:
        section.concerns = concerns(case)
    section.withdrawals = withdrawals(case)
    section.reach = delivery.deliveries_for_case(case.id)
    section.outcomes = panel.outcomes_for_case(case, read=section.team)
    return section


# --- telling the advocate a session is ready -------------------------------------------------

@event.listens_for(Session, "before_flush")
def _session_finished(session, _context, _instances):
    """When a child's session is finished, tell the case's advocate it is ready for review."""
    for obj in list(session.dirty):
        if not isinstance(obj, CaptureSession):
            continue
        history = attributes.get_history(obj, "finished_at")
        if not history.added or history.added[0] is None or any(history.deleted or ()):
            continue
        with session.no_autoflush:
            case = session.get(Case, obj.case_id)
            if case is not None and case.advocate_id:
                push.notify([case.advocate_id], push.SESSION_READY_FOR_REVIEW,
                            target="review.review", target_args={"case_id": case.id},
                            session=session)


@event.listens_for(Session, "before_flush")
def _summaries_are_immutable(session, _context, _instances):
    for obj in session.dirty:
        if isinstance(obj, Summary) and session.is_modified(obj):
            raise PermissionError("a summary is never changed: approve a new version instead")
