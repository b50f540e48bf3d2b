"""Many cases at once, for the scale tests and `make bench`: rows inserted in bulk, each case with
its own wrapped key and sealed name, and (when the provider's first case has a summary) a copy
of that summary, sealed under the new case's key, submitted to the same panel."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import insert, select

from voice import db, keys
from voice.crypto import CaseCipher, new_wrapped_key
from voice.models import Case, Summary, new_id, now


def grow(app, world, count: int, key: str = "p1", panel: str = "n1") -> None:
    """Add `count` cases of provider `key` for `panel`, assigned to its ICTG and advocate."""
    with app.app_context():
        session = db.session()
        model = session.scalar(select(Summary).join(Case, Case.id == Summary.case_id).where(
            Case.id == world.cases[key]).order_by(Summary.number.desc()).limit(1))
        document = None
        if model is not None:
            document = json.loads(CaseCipher(keys.kek(), model.case_id, model.case.wrapped_key)
                                  .open(model.id, "body", model.body))
        kek, start = keys.kek(), now()
        cases, summaries = [], []
        for n in range(count):
            case_id = new_id()
            wrapped = new_wrapped_key(kek, case_id)
            cipher = CaseCipher(kek, case_id, wrapped)
            cases.append({
                "id": case_id, "provider_id": world.orgs[key], "panel_id": world.orgs[panel],
                "name": cipher.seal(case_id, "name", f"Bulk child {n}"), "age_band": "12-15",
                "languages": ["en"], "ictg_id": world.people[f"ictg.{key}"].id,
                "advocate_id": world.people[f"advocate.{key}"].id, "wrapped_key": wrapped,
                "panel_date": date.today() + timedelta(days=n % 30),
                "created_at": start + timedelta(microseconds=n)})
            if document is not None:
                summary_id = new_id()
                body = {**document, "summary": {**document["summary"], "id": summary_id},
                        "case": {**document["case"], "id": case_id}}
                summaries.append({
                    "id": summary_id, "case_id": case_id, "panel_id": world.orgs[panel],
                    "number": 1, "schema_version": model.schema_version, "changes": [],
                    "item_count": model.item_count, "approved_by_id": model.approved_by_id,
                    "approved_at": start + timedelta(microseconds=n),
                    "body": cipher.seal(summary_id, "body", json.dumps(body))})
        session.execute(insert(Case), cases)
        if summaries:
            session.execute(insert(Summary), summaries)
        session.commit()
