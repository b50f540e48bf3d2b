"""What anybody outside the child's team may have of a summary, at this moment.

`for_panel` checks each item's *current* sharing choice, so an item the child withdrew
disappears at once (it is shown only as "withdrawn by the child"), and a recording shared as
words only never gets an audio link. Media links are signed here, with opaque ids only, and
expire within 24 hours.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from sqlalchemy import select, tuple_

from .. import db, signing
from ..cases.service import cipher
from ..consent import service as consent
from ..models import (SHARE_PANEL, SHARE_PRIVATE, SHARE_WORDS, Case, PanelReference, Summary)
from .document import stored, validate

SHARED = (SHARE_PANEL, SHARE_WORDS)
MEDIA_LINK_TTL = timedelta(hours=24)
# The route that serves a shared file to the panel (registered by the review pages).
MEDIA_ROUTE = "/summaries/<summary_id>/media/<version_id>"
_MEDIA_PURPOSE = "summary-media-link"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _media_message(summary_id: str, version_id: str, expires: int) -> str:
    return f"{summary_id}/{version_id}\n{expires}"


def media_link(summary: Summary, version_id: str, base_url: str) -> dict:
    """A signed link to a shared item's file under base_url, valid for 24 hours from now."""
    expires = int(time.time() + MEDIA_LINK_TTL.total_seconds())
    path = MEDIA_ROUTE.replace("<summary_id>", summary.id).replace("<version_id>", version_id)
    query = urlencode({"expires": expires, "signature": signing.sign(
        _MEDIA_PURPOSE, _media_message(summary.id, version_id, expires))})
    return {"url": f"{base_url.rstrip('/')}{path}?{query}",
            "expires_at": _iso(datetime.fromtimestamp(expires, timezone.utc))}


def media_signature_ok(summary_id: str, version_id: str, expires: str | None,
                       signature: str | None) -> bool:
    try:
        moment = int(expires or "")
    except ValueError:
        return False
    remaining = moment - time.time()
    if remaining <= 0 or remaining > MEDIA_LINK_TTL.total_seconds() + 60:
        return False
    return signing.verify(_MEDIA_PURPOSE, _media_message(summary_id, version_id, moment), signature)


def reference_row(case_id: str, panel_id: str) -> PanelReference | None:
    return db.session().scalar(select(PanelReference).where(
        PanelReference.case_id == case_id, PanelReference.panel_id == panel_id))


def reference_for(case_id: str, panel_id: str) -> str | None:
    """The panel's own reference for the case, if it gave one."""
    row = reference_row(case_id, panel_id)
    if row is None:
        return None
    return cipher(db.session().get(Case, case_id)).open_text(row.id, "reference", row.reference)


def for_panel(summary: Summary, base_url: str | None = None) -> dict:
    """The summary as anyone outside the child's team may have it now (validated).

    Items whose current sharing choice is not "panel" or "panel_words" are replaced by
    {"id", "withdrawn": true}; a recording now shared as words only loses its audio; media get
    links signed now under base_url (none without it); the panel's current reference for the
    case is filled in.
    """
    return for_panel_all([summary], base_url)[0]


def for_panel_all(summaries: list[Summary], base_url: str | None = None,
                  validated: bool = True) -> list[dict]:
    """`for_panel` of each summary (their cases loaded), in a constant number of queries.

    Without `validated` the documents are not checked against the schema again (17 ms each):
    for a page that shows a few of their fields, never for a document that leaves the service.
    """
    documents = [stored(summary) for summary in summaries]
    choices = consent.current_choices(
        {item["id"] for document in documents for item in document["items"]})
    references = {(row.case_id, row.panel_id): row for row in db.session().scalars(
        select(PanelReference).where(tuple_(PanelReference.case_id, PanelReference.panel_id).in_(
            {(s.case_id, s.panel_id) for s in summaries})))} if summaries else {}
    for summary, document in zip(summaries, documents):
        items = []
        for item in document["items"]:
            choice = choices.get(item["id"], SHARE_PRIVATE)
            if item.get("withdrawn") or choice not in SHARED or (
                    choice == SHARE_WORDS and item["kind"] != "voice"):
                items.append({"id": item["id"], "withdrawn": True})
                continue
            if choice == SHARE_WORDS and item["sharing"] == SHARE_PANEL:
                item = {**item, "sharing": SHARE_WORDS, "media": None}
            if item["media"] is not None and base_url:
                link = media_link(summary, item["media"]["id"], base_url)
                item = {**item, "media": {**item["media"], **link}}
            items.append(item)
        document["items"] = items
        row = references.get((summary.case_id, summary.panel_id))
        document["case"]["panel_reference"] = None if row is None else cipher(
            summary.case).open_text(row.id, "reference", row.reference)
        if validated:
            validate(document)
    return documents


def media_allowed(summary: Summary, version_id: str) -> bool:
    """Whether the file of this answer version is, right now, part of what the panel may see."""
    return any(not item["withdrawn"] and item["media"] and item["media"]["id"] == version_id
               for item in for_panel(summary)["items"])
