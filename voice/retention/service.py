"""Closing a case, legal hold, erasure of a child's whole record, and the retention purge.

Erasure is crypto-erasure: in one transaction the case's wrapped data key and every content field
are destroyed, the case's content rows in other tables are deleted (every model with
`__erase_with_case__ = True` and a `case_id` column), and the tombstone and the audit entry are
written. Only after that commits is the media folder deleted; a folder left behind (a crash, a
full disk) holds only ciphertext under a key that no longer exists, and the next
`purge-expired` removes it.

Each erasure claims the case with a conditional UPDATE (`erased_at IS NULL AND NOT legal_hold`),
so it happens once however many purges or people try at the same time; on PostgreSQL a purge also
skips rows another purge has locked (FOR UPDATE SKIP LOCKED).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select, update

from .. import audit, db, events, keys, storage
from ..crypto import open_with_kek, seal_with_kek
from ..models import Base, Case, Organisation, User, now
from . import erasures

log = logging.getLogger(__name__)

# Bounds of an organisation's retention period, in days.
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 25 * 365
# The reason recorded when purge-expired erases a case (nobody decided: the period ended).
RETENTION_REASON = "retention period ended"
# The reason recorded when a restore erases again a case erased after its backup was taken.
RESTORE_REASON = "erased after the restored backup was taken"


class OnLegalHold(Exception):
    """The case is on legal hold: it can be neither erased nor purged."""


def _seal_reason(case_id: str, field: str, reason: str) -> bytes:
    return seal_with_kek(keys.kek(), reason.strip().encode(), f"case:{case_id}:{field}")


def reason(case: Case, field: str) -> str | None:
    """An admin's recorded reason ("legal_hold_reason" or "erase_reason"), opened."""
    blob = getattr(case, field)
    return None if blob is None else open_with_kek(keys.kek(), blob, f"case:{case.id}:{field}").decode()


# --- closing and retention --------------------------------------------------------------------

def close(case: Case) -> None:
    case.closed_at = now()
    audit.record("case.close", case)


def reopen(case: Case) -> None:
    case.closed_at = None
    audit.record("case.reopen", case)


def expires_on(case: Case, retention_days: int) -> date | None:
    """The first day the case may be purged: the retention period after the panel date or the
    closure, whichever is later. None while the case is open."""
    if case.closed_at is None:
        return None
    start = case.closed_at.date()
    if case.panel_date is not None and case.panel_date > start:
        start = case.panel_date
    return start + timedelta(days=retention_days)


def set_retention(org: Organisation, days: int) -> None:
    org.retention_days = days
    audit.record("org.retention", org, org_id=org.id)


# --- legal hold -------------------------------------------------------------------------------

def set_hold(case: Case, by: User, why: str) -> None:
    _hold(case, by, why, True)


def lift_hold(case: Case, by: User, why: str) -> None:
    _hold(case, by, why, False)


def _hold(case: Case, by: User, why: str, on: bool) -> None:
    case.legal_hold = on
    case.legal_hold_reason = _seal_reason(case.id, "legal_hold_reason", why)
    case.legal_hold_by_id, case.legal_hold_at = by.id, now()
    audit.record("case.hold" if on else "case.hold_lift", case)


# --- erasure ----------------------------------------------------------------------------------

def _content_tables():
    """Tables of content that goes with the case, children before their parents."""
    flagged = {mapper.local_table for mapper in Base.registry.mappers
               if getattr(mapper.class_, "__erase_with_case__", False)
               and "case_id" in mapper.local_table.c}
    return [table for table in reversed(Base.metadata.sorted_tables) if table in flagged]


def content_summary(case: Case) -> dict[str, int]:
    """How much will be destroyed: content rows and media files (no content is read)."""
    session = db.session()
    rows = sum(session.scalar(select(func.count()).select_from(table)
                              .where(table.c.case_id == case.id)) or 0
               for table in _content_tables())
    folder = storage._root() / case.id
    files = sum(1 for f in folder.iterdir() if not f.name.startswith(".")) if folder.is_dir() else 0
    return {"rows": rows, "files": files}


def erase(case_id: str, by: User | None, why: str) -> bool:
    """Erase a case for good, in the current unit of work; True if this call erased it.

    Returns False when the case is already erased (by someone else, or a concurrent purge).
    Raises OnLegalHold when the case is on hold. Its files are removed once the unit of work is
    committed (a crash in between leaves them for `finish_media`).
    """
    moment = now()
    if not _destroy(case_id, Case.legal_hold.is_(False), erased_at=moment,
                    erased_by_id=by.id if by else None,
                    erase_reason=_seal_reason(case_id, "erase_reason", why)):
        case = db.session().get(Case, case_id, populate_existing=True)
        if case is not None and case.erased_at is None and case.legal_hold:
            raise OnLegalHold()
        return False
    case = db.session().get(Case, case_id, populate_existing=True)
    audit.record("case.erase", case, actor_id=by.id if by else None,
                 org_id=by.org_id if by else case.provider_id)
    # Receivers of the case's summaries hear of the erasure; commits with it or not at all.
    events.case_erased.send(case)
    db.after_commit(lambda: erasures.append(case_id, moment))
    return True


def erase_again(case_id: str, erased_at) -> bool:
    """Erase, after a restore, a case the erasure list says was erased after the backup was
    taken (legal hold or not: it was erased then). Its panels heard of the erasure already."""
    if not _destroy(case_id, erased_at=erased_at,
                    erase_reason=_seal_reason(case_id, "erase_reason", RESTORE_REASON)):
        return False
    audit.record("case.erase", db.session().get(Case, case_id, populate_existing=True))
    return True


def _destroy(case_id: str, *conditions, **values) -> bool:
    """Claim the case if not erased yet (and `conditions` hold), destroy its key and content;
    its files go once the unit of work commits."""
    session = db.session()
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # zero what the erasure frees in the file's pages, not just unlink it
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    claimed = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.erased_at.is_(None), *conditions)
        .values(wrapped_key=None, name=None, age_band="", languages=[], ictg_id=None,
                advocate_id=None, legal_hold=False, legal_hold_reason=None,
                legal_hold_by_id=None, **values)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    for table in _content_tables():
        session.execute(delete(table).where(table.c.case_id == case_id))
    if sqlite:
        db.after_commit(_checkpoint_sqlite)
    db.after_commit(lambda: _remove_media(case_id))
    return True


def _checkpoint_sqlite() -> None:
    """Copy the write-ahead log into the database file and empty it, so that the old page images
    (which still hold the wrapped key) leave the disk. Best effort: if readers keep it busy for
    more than two seconds, the next erasure or purge does it."""
    with db.engine().connect() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout=2000")
        try:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout=30000")


def _remove_media(case_id: str) -> bool:
    """Delete the case's media folder; a failure leaves ciphertext without a key, for the next
    purge to remove."""
    try:
        storage.delete_case(case_id)
    except Exception:  # noqa: BLE001 - the erasure itself is committed; finish it next time
        log.warning("an erased case's media folder could not be removed; "
                    "purge-expired will remove it", exc_info=True)
        return False
    return True


# --- the purge --------------------------------------------------------------------------------

@dataclass
class PurgeResult:
    erased: int = 0
    held: int = 0
    media_finished: int = 0
    media_left: int = 0

    def __str__(self) -> str:
        text = (f"erased {self.erased} cases; {self.held} on legal hold kept; "
                f"{self.media_finished} media folders finished")
        if self.media_left:
            text += f"; {self.media_left} media folders left for the next run"
        return text


def finish_media() -> tuple[int, int]:
    """Remove media folders whose case is already erased; returns (removed, failed)."""
    root = storage._root()
    if not root.is_dir():
        return 0, 0
    names = [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    erased = set()
    for start in range(0, len(names), 500):
        erased.update(db.session().scalars(select(Case.id).where(
            Case.id.in_(names[start:start + 500]), Case.erased_at.is_not(None))))
    db.session().rollback()
    removed = sum(1 for case_id in sorted(erased) if _remove_media(case_id))
    return removed, len(erased) - removed


def expired(today: date | None = None) -> tuple[list[str], int]:
    """Closed, unerased cases past their retention: (ids not on hold, how many are on hold)."""
    today = today or now().date()
    session = db.session()
    rows = session.execute(
        select(Case.id, Case.closed_at, Case.panel_date, Case.legal_hold,
               Organisation.retention_days)
        .join(Organisation, Organisation.id == Case.provider_id)
        .where(Case.closed_at.is_not(None), Case.erased_at.is_(None))
        .order_by(Case.closed_at)).all()
    session.rollback()
    due, held = [], 0
    for row in rows:
        if expires_on(row, row.retention_days) > today:
            continue
        if row.legal_hold:
            held += 1
        else:
            due.append(row.id)
    return due, held


def purge_expired(today: date | None = None) -> PurgeResult:
    """Erase every expired case that is not on hold, and finish interrupted erasures.

    A job: each case's erasure is a unit of work of its own, committed before the next.
    """
    result = PurgeResult()
    result.media_finished, result.media_left = finish_media()
    due, result.held = expired(today)
    session = db.session()
    postgres = session.get_bind().dialect.name == "postgresql"
    for case_id in due:
        if postgres:
            locked = session.scalar(select(Case.id).where(Case.id == case_id, Case.erased_at.is_(None))
                                    .with_for_update(skip_locked=True))
            if locked is None:  # another purge has it, or has erased it already
                session.rollback()
                continue
        try:
            if erase(case_id, None, RETENTION_REASON):
                result.erased += 1
        except OnLegalHold:  # put on hold since the list was read
            result.held += 1
        db.commit_unit()
    if session.get_bind().dialect.name == "sqlite":
        _checkpoint_sqlite()
    return result
