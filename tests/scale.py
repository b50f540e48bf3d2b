"""Many cases at once, for the scale tests and `make bench`: rows inserted in bulk, each case with
its own wrapped key and sealed name, a sitting with ANSWERS answers (sealed), MEDIA of them with
a file (rows only: no file is written), and (when the provider's first case has a summary) a copy
of that summary, sealed under the new case's key, submitted to the same panel."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import insert, select

from voice import db, keys
from voice.crypto import CaseCipher, new_wrapped_key
from voice.models import (AgendaEntry, Answer, AnswerVersion, CaptureSession, Case, Summary,
                          agenda_place, new_id, now)

# 10,000 cases: 200,000 answers, 30,000 of them files (issue 15's measure).
ANSWERS, MEDIA = 20, 3


def _sitting(cipher, case_id: str, ictg_id: str, start) -> tuple[dict, list[dict], list[dict]]:
    """A finished sitting of a case: its row, its answers' rows and their versions' rows."""
    sitting = {"id": new_id(), "case_id": case_id, "questionnaire_id": "my-views-12-17",
               "questionnaire_version": 1, "language": "en", "started_by_id": ictg_id,
               "started_at": start, "finished_at": start}
    answers, versions = [], []
    for n in range(ANSWERS):
        answer_id, version_id = new_id(), new_id()
        answers.append({"id": answer_id, "case_id": case_id, "session_id": sitting["id"],
                        "step_id": f"step-{n}", "created_at": start})
        media = n < MEDIA
        versions.append({
            "id": version_id, "case_id": case_id, "answer_id": answer_id, "number": 1,
            "form": "voice" if media else "text", "language": "en", "created_by_id": ictg_id,
            "created_at": start, "media_file_id": new_id() if media else None,
            "media_type": "audio/webm" if media else None, "media_bytes": 40_000 if media else None,
            "media_seconds": 12.5 if media else None,
            "value": None if media else cipher.seal(version_id, "value", f"Words {n}")})
    return sitting, answers, versions


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
        cases, summaries, sittings, answers, versions = [], [], [], [], []
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
            sitting, its_answers, its_versions = _sitting(cipher, case_id,
                                                          world.people[f"ictg.{key}"].id, start)
            sittings.append(sitting)
            answers += its_answers
            versions += its_versions
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
        for model, rows in ((CaptureSession, sittings), (Answer, answers),
                            (AnswerVersion, versions)):
            session.execute(insert(model), rows)
        if summaries:
            session.execute(insert(Summary), summaries)
            # Bulk inserts pass by the models' listeners: the agenda's lines are written here.
            dates = {case["id"]: case["panel_date"] for case in cases}
            session.execute(insert(AgendaEntry), [
                {"panel_id": row["panel_id"], "case_id": row["case_id"], "summary_id": row["id"],
                 "approved_at": row["approved_at"], **agenda_place(dates[row["case_id"]], True)}
                for row in summaries])
        session.commit()
