"""Closing a case, legal hold, erasing a child's record, the retention period, purge-expired."""
from __future__ import annotations

import click
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import audit, db, policy
from ..models import Case, User
from ..policy import guard, signed_in
from . import service
from .forms import CloseForm, EraseConfirmForm, EraseForm, HoldForm, RetentionForm

bp = Blueprint("retention", __name__, cli_group=None)


def _person(user_id: str | None) -> str | None:
    person = db.session().get(User, user_id) if user_id else None
    return person.display_name if person else None


def _actions(case: Case) -> dict:
    """What the case page shows about closing, hold and erasure, and what this person may do."""
    return {
        "may_close": policy.allowed(g.user, "case.close", case),
        "may_hold": policy.allowed(g.user, "case.hold", case),
        "may_erase": policy.allowed(g.user, "case.erase", case),
        "expires_on": service.expires_on(case, case.provider.retention_days),
        "retention_days": case.provider.retention_days,
    }


@bp.app_context_processor
def _helpers():
    return {"retention_actions": _actions}


@bp.route("/cases/<case_id>/legal-hold", methods=["GET", "POST"])
@guard("case.hold", Case)
def hold(case):
    form = HoldForm()
    current = "lift" if case.legal_hold else "set"
    if form.validate_on_submit():
        if form.change.data != current:
            flash(_("Someone else changed the legal hold meanwhile. Check it and try again."))
            return redirect(url_for("retention.hold", case_id=case.id))
        if case.legal_hold:
            service.lift_hold(case, g.user, form.reason.data)
            flash(_("Legal hold lifted"), "success")
        else:
            service.set_hold(case, g.user, form.reason.data)
            flash(_("The case is on legal hold"), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    form.change.data = current
    return render_template("retention/hold.html", form=form, case=case,
                           reason=service.reason(case, "legal_hold_reason"),
                           changed_by=_person(case.legal_hold_by_id)), 400 if form.errors else 200


def _held(case):
    """The refusal to erase a case on legal hold, explained."""
    if request.method == "POST":
        audit.record_alone("case.erase", case, audit.DENIED)
    return render_template("retention/held.html", case=case), 409 if request.method == "POST" else 200


@bp.route("/cases/<case_id>/erase", methods=["GET", "POST"])
@guard("case.erase", Case, fresh="retention.erase")
def erase(case):
    if case.legal_hold:
        return _held(case)
    form = EraseForm()
    if form.validate_on_submit():
        confirm = EraseConfirmForm(formdata=None, reason=form.reason.data.strip())
        return render_template("retention/erase_confirm.html", form=confirm, case=case,
                               summary=service.content_summary(case))
    return render_template("retention/erase.html", form=form, case=case), 400 if form.errors else 200


@bp.route("/cases/<case_id>/erase/confirm", methods=["POST"])
@guard("case.erase", Case, fresh="retention.erase")
def erase_confirm(case):
    if case.legal_hold:
        return _held(case)
    form = EraseConfirmForm()
    if not form.validate_on_submit():
        if form.reason.errors:  # the reason did not come through: start again
            return redirect(url_for("retention.erase", case_id=case.id))
        return render_template("retention/erase_confirm.html", form=form, case=case,
                               summary=service.content_summary(case)), 400
    try:
        service.erase(case.id, g.user, form.reason.data)
    except service.OnLegalHold:
        return _held(case)
    flash(_("The child's record has been erased."), "success")
    return redirect(url_for("cases.index"))


@bp.route("/cases/<case_id>/close", methods=["GET", "POST"])
@guard("case.close", Case)
def close(case):
    form = CloseForm()
    current = "reopen" if case.closed_at else "close"
    if form.validate_on_submit():
        if form.change.data == current == "close":
            service.close(case)
            flash(_("The case is closed"), "success")
        elif form.change.data == current == "reopen":
            service.reopen(case)
            flash(_("The case is open again"), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    form.change.data = current
    days = case.provider.retention_days
    return render_template("retention/close.html", form=form, case=case, retention_days=days,
                           expires_on=service.expires_on(case, days)), 400 if form.errors else 200


@bp.route("/organisation/retention", methods=["GET", "POST"])
@signed_in("retention.settings")
def settings():
    org = g.user.org
    form = RetentionForm(days=org.retention_days)
    if form.validate_on_submit():
        service.set_retention(org, form.days.data)
        flash(_("Retention period saved"), "success")
        return redirect(url_for("retention.settings"))
    return render_template("retention/settings.html", form=form), 400 if form.errors else 200


@bp.cli.command("purge-expired")
def purge_expired_command():
    """Erase closed cases whose retention period has ended (not those on legal hold), and
    finish erasures that were interrupted. Prints counts only."""
    click.echo(str(service.purge_expired()))
