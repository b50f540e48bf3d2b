"""The advocate's review, the summary's views (HTML, print, JSON, media), the published schema,
safeguarding concerns and the child's withdrawal of sharing."""
from __future__ import annotations

import json
from datetime import date

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit, db, i18n, policy
from ..capture.files import media_response
from ..models import PROVENANCES, AnswerVersion, Case, Summary
from ..panel import service as panel
from ..panel.forms import ReferenceForm
from ..policy import guard, public
from ..summary import door
from ..summary.document import schema as summary_schema
from ..summary.document import summaries_of
from . import service
from .forms import ConcernForm, SendBackForm, WithdrawForm

bp = Blueprint("review", __name__, cli_group=None)

KIND_LABELS = {"feelings": _l("Feelings"), "choice": _l("Choice"), "text": _l("Words"),
               "voice": _l("Recording"), "drawing": _l("Drawing"), "photo": _l("Photo")}
PROVENANCE_LABELS = {"interpreter": _l("Translated by an interpreter"),
                     "advocate": _l("Translated by the advocate"),
                     "draft": _l("Draft translation, not yet checked")}
SHARING_LABELS = {"panel": _l("Shared with the panel"),
                  "panel_words": _l("Shared as words only: the advocate's account, not the "
                                    "recording")}
CHANGE_LABELS = {"items_added": _l("Items added: %(count)d"),
                 "items_removed": _l("Items removed: %(count)d"),
                 "items_changed": _l("Items changed: %(count)d"),
                 "overview_changed": _l("The advocate's overview changed"),
                 "sessions_added": _l("Sessions added: %(count)d")}
CONSENT_HOW_LABELS = {"spoken": _l("Said yes"), "tapped": _l("Tapped yes"),
                      "interpreter": _l("Said yes through an interpreter")}
UNDERSTOOD_LABELS = {"yes": _l("understood what it means"),
                     "partly": _l("partly understood what it means"),
                     "no": _l("did not understand what it means")}


def _change_text(change: dict) -> str:
    return str(CHANGE_LABELS[change["change"]]) % {"count": change["count"]}


def _consent_text(consent: dict) -> str:
    how = consent.get("given_how")
    text = str(CONSENT_HOW_LABELS.get(how, _l("Agreed")))
    if how == "interpreter" and consent.get("interpreter_language"):
        text = _("%(how)s: %(language)s", how=text,
                 language=i18n.staff_language_name(consent["interpreter_language"]))
    understood = consent.get("understood")
    if understood in UNDERSTOOD_LABELS:
        text = _("%(how)s; %(understood)s", how=text, understood=UNDERSTOOD_LABELS[understood])
    return text


@bp.app_context_processor
def _helpers():
    return {"review_section": lambda case: service.case_section(case, g.get("user")),
            "review_kind_label": lambda kind: KIND_LABELS.get(kind, kind),
            "review_provenance_label": lambda p: PROVENANCE_LABELS.get(p, p),
            "review_sharing_label": lambda s: SHARING_LABELS.get(s, s),
            "review_change_text": _change_text,
            "review_consent_label": _consent_text,
            "review_date": lambda iso: format_date(date.fromisoformat(iso), "d MMM yyyy") if iso else ""}


# --- the advocate's review -------------------------------------------------------------------

@bp.route("/cases/<case_id>/review", methods=["GET", "POST"])
@guard("review.edit", Case)
def review(case):
    items = service.shared_items(case)
    errors, status = [], 200
    overview = service.overview(case)
    if request.method == "POST":
        for item in items:
            key = item.answer.id
            service.save_item(case, item, g.user, request.form.get(f"translation-{key}", ""),
                              request.form.get(f"account-{key}", ""),
                              request.form.get(f"provenance-{key}"))
        service.save_overview(case, g.user, request.form.get("overview", ""))
        overview = service.overview(case)
        if request.form.get("action") != "approve":
            flash(_("Your changes are saved"), "success")
            return redirect(url_for("review.review", case_id=case.id))
        try:
            summary = service.approve(case, g.user)
        except service.NotReady as blocked:
            errors = blocked.problems
        except service.NothingChanged:
            errors = [("overview", _l("Nothing has changed since the last version, so there "
                                      "is no new version to approve"))]
        else:
            flash(_("Approved. Version %(number)d of the summary has been sent to the panel.",
                    number=summary.number), "success")
            return redirect(url_for("review.summary", summary_id=summary.id))
        db.keep_despite_refusal()  # what was saved stays, though approval is blocked
        status = 400
    by_session = []
    for item in items:
        if not by_session or by_session[-1][0] is not item.session:
            by_session.append((item.session, []))
        by_session[-1][1].append(item)
    return render_template(
        "review/review.html", case=case, by_session=by_session, overview=overview,
        errors=[{"text": str(message), "href": f"#{anchor}"} for anchor, message in errors],
        problems={anchor: str(message) for anchor, message in errors},
        provenances=PROVENANCES, unshared=service.unshared_counts(case),
        sessions=service.finished_sessions(case), summaries=summaries_of(case)), status


@bp.route("/cases/<case_id>/review/send-back", methods=["GET", "POST"])
@guard("review.edit", Case)
def send_back(case):
    form = SendBackForm()
    if form.validate_on_submit():
        service.send_back(case, g.user, form.reason.data)
        flash(_("Sent back to the ICTG"), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("review/send_back.html", case=case, form=form), \
        400 if form.errors else 200


@bp.route("/cases/<case_id>/safeguarding", methods=["GET", "POST"])
@guard("safeguarding.raise", Case)
def safeguarding(case):
    form = ConcernForm()
    if form.validate_on_submit():
        service.raise_concern(case, g.user, form.concern.data)
        flash(_("The concern is recorded. The ICTG and your organisation's administrators have "
                "been told."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("review/safeguarding.html", case=case, form=form), \
        400 if form.errors else 200


# --- the child changes their mind ------------------------------------------------------------

@bp.route("/cases/<case_id>/withdraw", methods=["GET", "POST"])
@guard("sharing.withdraw", Case)
def withdraw(case):
    items = service.shared_items(case, read=False)  # only the questions are shown
    form = WithdrawForm()
    choices = [("everything", _("Everything the child has shared"))] + [
        (item.answer.id, _("%(question)s (%(kind)s)", question=_(item.step.prompt),
                           kind=KIND_LABELS[item.version.form])) for item in items]
    posted = request.form.get("what") if request.method == "POST" else None
    if posted and posted not in {value for value, _label in choices}:
        choices.append((posted, ""))  # an item already withdrawn: a no-op, not an error
    form.what.choices = choices
    if form.validate_on_submit():
        everything = form.what.data == "everything"
        record = service.withdraw(case, g.user, None if everything else [form.what.data],
                                  form.how.data, form.note.data or "")
        if record is None:
            flash(_("Nothing changed: the panel already cannot see this. The child had already "
                    "stopped sharing it."), "info")
        else:
            flash(_("Done. The panel can no longer see what the child withdrew, and every "
                    "place that received it is being told."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("review/withdraw.html", case=case, form=form, items=items), \
        400 if form.errors else 200


# --- the summary -----------------------------------------------------------------------------

def _opened(summary: Summary) -> dict:
    """The summary as this person may have it; the read is audited and a receipt kept."""
    document = door.for_panel(summary, base_url=request.host_url)
    audit.record("summary.read", summary)
    panel.record_read(summary, g.user)
    return document


@bp.route("/summaries/<summary_id>")
@guard("summary.read", Summary, arg="summary_id", as_="summary")
def summary(summary):
    document = _opened(summary)
    member = policy.may("panel.agenda")  # a panel member reads it as the panel
    form = None
    if policy.allowed(g.user, "summary.reference", summary):
        form = ReferenceForm(reference=document["case"]["panel_reference"] or "")
    return render_template(
        "review/summary.html", summary=summary, document=document, member=member,
        versions=service.versions_for(summary, g.user), reference_form=form,
        receipts=None if member else panel.receipts(summary),
        not_read=panel.not_read(summary) if member and panel.is_chair(g.user) else None,
        outcomes=panel.outcomes_for_summary(summary) if member else [],
        may_record_outcome=policy.allowed(g.user, "summary.outcome", summary))


@bp.route("/summaries/<summary_id>/print")
@guard("summary.read", Summary, arg="summary_id", as_="summary")
def print_layout(summary):
    return render_template("review/print.html", summary=summary, document=_opened(summary))


@bp.route("/summaries/<summary_id>.json")
@guard("summary.read", Summary, arg="summary_id", as_="summary")
def summary_json(summary):
    body = json.dumps(_opened(summary), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json")


@bp.route(door.MEDIA_ROUTE)
@guard("summary.read", Summary, arg="summary_id", as_="summary")
def media(summary, version_id):
    signed = door.media_signature_ok(summary.id, version_id, request.args.get("expires"),
                                     request.args.get("signature"))
    if not signed or not door.media_allowed(summary, version_id):
        audit.record_alone("summary.media", summary, audit.DENIED)
        abort(404)
    version = db.session().get(AnswerVersion, version_id)
    if version is None or version.case_id != summary.case_id:
        abort(404)
    return media_response(version)


@bp.route("/schemas/child-views-summary/1.json")
@public
def schema():
    return Response(json.dumps(summary_schema(), ensure_ascii=False, indent=2),
                    mimetype="application/schema+json")
