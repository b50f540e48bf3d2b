"""A child's case: creating it, finding the ones a person may see, opening its content."""
from __future__ import annotations

from datetime import date

from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload

from .. import audit, db, keys
from ..crypto import CaseCipher, new_wrapped_key
from ..models import ADVOCATE, ICTG, ORG_ADMIN, Case, Organisation, User, new_id


def cipher(case: Case) -> CaseCipher:
    return CaseCipher(keys.kek(), case.id, case.wrapped_key)


def create(provider: Organisation, panel: Organisation, name: str, age_band: str,
           languages: list[str], ictg: User | None, advocate: User | None,
           panel_date: date | None) -> Case:
    case_id = new_id()
    case = Case(id=case_id, provider_id=provider.id, panel_id=panel.id, age_band=age_band,
                languages=languages, ictg_id=ictg.id if ictg else None,
                advocate_id=advocate.id if advocate else None, panel_date=panel_date,
                wrapped_key=new_wrapped_key(keys.kek(),
                                            case_id))
    case.name = cipher(case).seal(case.id, "name", name.strip())
    db.session().add(case)
    audit.record("case.create", case)
    return case


def name(case: Case) -> str:
    """The name the child wants to be called (a read of content: the caller audits it)."""
    return cipher(case).open_text(case.id, "name", case.name) or ""


def visible_to(user: User, page: int = 1) -> db.Page | None:
    """A page of the cases whose existence this person may know, newest panel date last, with
    their panel loaded (None past the last page)."""
    query = select(Case).where(Case.erased_at.is_(None))
    if user.role in (ICTG, ADVOCATE):
        query = query.where(Case.provider_id == user.org_id,
                            or_(Case.ictg_id == user.id, Case.advocate_id == user.id))
    elif user.role == ORG_ADMIN:
        query = query.where(Case.provider_id == user.org_id)
    else:
        query = query.where(false())
    return db.page_of(query.options(joinedload(Case.panel))
                      .order_by(Case.panel_date, Case.created_at, Case.id), page)


def colleagues(org_id: str, role: str) -> list[User]:
    return list(db.session().scalars(select(User).where(
        User.org_id == org_id, User.role == role, User.active.is_(True)).order_by(User.display_name)))


def panels() -> list[Organisation]:
    return list(db.session().scalars(
        select(Organisation).where(Organisation.kind == "panel").order_by(Organisation.name)))
