"""The advocate's review, the versioned summary of the child's views, and withdrawal of sharing.

The advocate works on the items the child shared (translation, provenance, a written account of
a recording shared as words only) and writes an overview in their own words. Approval builds a
child-views-summary document, validates it and stores it as an immutable, numbered version.

Building, storing and showing the summary itself is `voice.summary`'s: the one door to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, db, events, policy
from ..capture import service as capture
from ..capture.questionnaire import Step
from ..cases.service import cipher
from ..consent import service as consent
from ..delivery import service as delivery
from ..models import (CHECKED_PROVENANCES, PROVENANCES, SHARE_PANEL, SHARE_PRIVATE, SHARE_WORDS,
                      Answer, AnswerVersion, CaptureSession, Case, CaseReview, ItemReview,
                      SafeguardingConcern, SendBack, Summary, User, Withdrawal, new_id, now)
from ..panel import service as panel
from ..summary import document

TEXT_MAX = 10000
SHARED = (SHARE_PANEL, SHARE_WORDS)


class NotReady(Exception):
    """Approval is blocked: `problems` is [(anchor, message)] for the error summary."""

    def __init__(self, problems):
        super().__init__("not ready")
        self.problems = problems


class NothingChanged(Exception):
    """Nothing changed since the last version: there is nothing new to approve."""


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
    """Record a concern (the ICTG and the provider's org admins are told). Never to the panel."""
    concern = SafeguardingConcern(id=new_id(), case_id=case.id, raised_by_id=user.id)
    concern.concern = cipher(case).seal(concern.id, "concern", text.strip()[:TEXT_MAX])
    db.session().add(concern)
    audit.record("safeguarding.raise", concern)
    events.concern_raised.send(concern)
    return concern


def concerns(case: Case) -> list[tuple[SafeguardingConcern, str]]:
    rows = db.session().scalars(select(SafeguardingConcern).where(
        SafeguardingConcern.case_id == case.id).order_by(SafeguardingConcern.raised_at.desc())).all()
    seal = cipher(case)
    for row in rows:
        audit.record("safeguarding.read", row)
    return [(row, seal.open_text(row.id, "concern", row.concern) or "") for row in rows]


# --- summaries -------------------------------------------------------------------------------

def versions_for(summary: Summary, user: User) -> list[Summary]:
    """The versions of this summary's case this person may read, newest first."""
    return [s for s in document.summaries_of(summary.case) if policy.allowed(user, "summary.read", s)]


def approve(case: Case, user: User) -> Summary:
    """Approve the review: a new, immutable version of the summary, sent to the case's panel.

    Raises NotReady (what blocks it) or NothingChanged. In the caller's transaction, with the
    outbox event for the panel's endpoints and the notices for its members.
    """
    items = shared_items(case, read=False)
    blocking = problems(case, items)
    if blocking:
        raise NotReady(blocking)
    versions = document.summaries_of(case)
    previous = versions[0] if versions else None
    moment = now()
    built = document.build_document(case, items, overview(case), new_id(),
                                    (previous.number + 1) if previous else 1, previous, user,
                                    moment)
    if previous is not None:
        built["summary"]["changes"] = document.changes_between(document.stored(previous), built)
        if not built["summary"]["changes"] and previous.panel_id == case.panel_id:
            raise NothingChanged()
    summary = document.store(case, built, user, moment)
    audit.record("summary.approve", summary)
    events.summary_approved.send(
        summary, first_for_panel=not any(v.panel_id == case.panel_id for v in versions))
    return summary


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
    record = Withdrawal(id=new_id(), case_id=case.id, everything=answer_ids is None,
                        answer_ids=targets, how=how, recorded_by_id=user.id, recorded_at=now())
    if note and note.strip():
        record.note = cipher(case).seal(record.id, "note", note.strip()[:TEXT_MAX])
    db.session().add(record)
    audit.record("sharing.withdraw", record)
    reached: dict[str, tuple[str, list[str]]] = {}
    for summary in document.summaries_of(case):  # newest first: the panel's latest version
        ids = {item["id"] for item in document.stored(summary)["items"]}
        latest, seen = reached.get(summary.panel_id, (summary.id, set()))
        reached[summary.panel_id] = (latest, seen | ids)
    events.items_withdrawn.send(record, reached={
        panel_id: (latest, [answer_id for answer_id in targets if answer_id in seen])
        for panel_id, (latest, seen) in reached.items()
        if any(answer_id in seen for answer_id in targets)})
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
    section = CaseSection()
    if user is None or not policy.allowed(user, "case.meta", case):
        return section
    section.team = policy.allowed(user, "case.read", case)
    section.may_review = policy.allowed(user, "review.edit", case)
    section.may_withdraw = policy.allowed(user, "sharing.withdraw", case)
    section.may_read_concerns = policy.allowed(user, "safeguarding.read", case)
    section.finished = len(finished_sessions(case))
    section.summaries = [(s, panel.receipts(s)) for s in document.summaries_of(case)]
    if section.team:
        section.send_backs = send_backs(case)
    if section.may_read_concerns:
        section.concerns = concerns(case)
    section.withdrawals = withdrawals(case)
    section.reach = delivery.deliveries_for_case(case.id)
    section.outcomes = panel.outcomes_for_case(case, read=section.team)
    return section
