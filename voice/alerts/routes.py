"""A safety alert's page (seen and acknowledged by whoever it went to), the alerts on the case
page, and the org admin's choice of safeguarding leads."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import audit, policy
from ..capture import service as capture
from ..models import SafetyAlert, User
from ..policy import guard
from . import service
from .forms import AcknowledgeForm, LeadForm

bp = Blueprint("alerts", __name__, cli_group=None)


@bp.app_context_processor
def _helpers():
    return {"safety_alerts_waiting": service.waiting, "safeguarding_lead_form": LeadForm}


def _answer_of(alert: SafetyAlert):
    """The question and the options the child chose (a read of the child's answer: audited)."""
    version = alert.version
    step = capture.questionnaire_of(version.answer.session).step(version.answer.step_id)
    chosen = capture.value_of(version) or []
    audit.record("alert.read", alert, case_id=alert.case_id)
    return step, [_(option.label) for option in step.options if option.id in chosen]


@bp.route("/alerts/<alert_id>", methods=["GET", "POST"])
@guard("alert.read", SafetyAlert, arg="alert_id", as_="alert")
def show(alert):
    form = AcknowledgeForm()
    if form.is_submitted():
        policy.check("alert.acknowledge", alert)
        if form.validate() and service.acknowledge(alert, g.user, form.action.data):
            flash(_("Recorded. The alert is closed."), "success")
            return redirect(url_for("alerts.show", alert_id=alert.id))
    step, chosen = _answer_of(alert)
    action = service.action_of(alert) if alert.acknowledged_at else None
    return render_template("alerts/show.html", alert=alert, case=alert.case, step=step,
                           chosen=chosen, action=action, form=form,
                           may_open_case=policy.allowed(g.user, "case.meta", alert.case)), \
        400 if form.errors else 200


@bp.route("/organisation/people/<user_id>/safeguarding-lead", methods=["POST"])
@guard("person.safeguarding", User, arg="user_id", as_="person")
def safeguarding_lead(person):
    if not LeadForm().validate_on_submit():
        abort(400)
    service.set_safeguarding_lead(person, not person.safeguarding_lead)
    flash(_("They are now a safeguarding lead: they hear of every safety alert at once.")
          if person.safeguarding_lead else _("They are no longer a safeguarding lead."), "success")
    return redirect(url_for("admin.person", user_id=person.id))
