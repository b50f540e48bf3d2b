"""The panel's agenda, its reference and outcome for a case, the ICTG's feedback to the child,
who chairs the panel, and the evaluation figures."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from ..http import page_number
from ..models import Case, Summary
from ..policy import guard, signed_in
from . import service
from .forms import TOLD_HOW_LABELS, ChairsForm, FeedbackForm, OutcomeForm, ReferenceForm

bp = Blueprint("panel", __name__, cli_group=None)


def _month_label(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "MMMM yyyy")


def _figure_text(figure, unit: str) -> str:
    if figure is None:
        return _("No data")
    if figure.suppressed:
        return _("not shown: fewer than %(n)d cases", n=service.FEWER_THAN)
    if unit == "percent":
        return _("%(value)d%%", value=round(figure.value))
    if unit == "days":
        return _("%(value)s days", value=format_decimal(round(figure.value, 1)))
    if unit == "minutes":
        return _("%(value)s minutes", value=format_decimal(round(figure.value, 1)))
    return format_decimal(figure.value)


CHART_WIDTH = 200


def _chart(table, key: str, unit: str) -> dict:
    """Bars (oldest month at the top) and a text description of one figure."""
    months = [(month, row.get(key)) for month, row in reversed(table)]
    shown = [f.value for _m, f in months if f is not None and not f.suppressed]
    top = max(shown, default=0) or 1
    if unit == "percent":
        top = 100
    rows = []
    for index, (month, figure) in enumerate(months):
        width = None
        if figure is not None and not figure.suppressed:
            width = max(1, round(CHART_WIDTH * figure.value / top))
        rows.append({"y": index * 22, "month": _month_label(month), "width": width,
                     "text": _figure_text(figure, unit)})
    description = "; ".join(f"{row['month']}: {row['text']}" for row in rows)
    return {"rows": rows, "height": max(22, len(rows) * 22), "description": description}


@bp.app_context_processor
def _helpers():
    return {"feedback_how_label": lambda how: TOLD_HOW_LABELS.get(how, how),
            "panel_month_label": _month_label, "panel_figure_text": _figure_text,
            "panel_chart": _chart}


@bp.route("/panel")
@signed_in("panel.agenda")
def agenda():
    shown = service.agenda(g.user, page_number())
    if shown is None:
        abort(404)
    page, dates = shown
    return render_template("panel/agenda.html", page=page, dates=dates)


@bp.route("/summaries/<summary_id>/reference", methods=["POST"])
@guard("summary.reference", Summary, arg="summary_id", as_="summary")
def reference(summary):
    form = ReferenceForm()
    if form.validate_on_submit():
        service.set_reference(summary, g.user, form.reference.data)
        flash(_("Reference saved"), "success")
    else:
        flash(_("Enter your reference, in %(max)d characters or fewer",
                max=service.REFERENCE_MAX), "error")
    return redirect(url_for("review.summary", summary_id=summary.id))


@bp.route("/summaries/<summary_id>/outcome", methods=["GET", "POST"])
@guard("summary.outcome", Summary, arg="summary_id", as_="summary")
def outcome(summary):
    form = OutcomeForm()
    if form.validate_on_submit():
        service.record_outcome(summary, g.user, form.decision.data, form.considered.data,
                               form.message.data)
        flash(_("The outcome is recorded. The child's ICTG has been told to sign in and read "
                "it."), "success")
        return redirect(url_for("review.summary", summary_id=summary.id))
    return render_template("panel/outcome.html", summary=summary, form=form), \
        400 if form.errors else 200


@bp.route("/cases/<case_id>/feedback", methods=["GET", "POST"])
@guard("feedback.record", Case)
def feedback(case):
    outcome = service.awaiting_feedback(case)
    if outcome is None:
        flash(_("There is no decision waiting to be told to the child."), "info")
        return redirect(url_for("cases.show", case_id=case.id))
    form = FeedbackForm()
    if form.validate_on_submit():
        service.record_feedback(outcome, g.user, form.how.data, form.note.data or "")
        flash(_("Recorded: the child has been told what the panel decided."), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    view = next(v for v in service.outcomes_for_case(case, read=True) if v.outcome.id == outcome.id)
    return render_template("panel/feedback.html", case=case, form=form, view=view), \
        400 if form.errors else 200


@bp.route("/panel/chairs", methods=["GET", "POST"])
@signed_in("panel.chairs")
def chairs():
    form = ChairsForm()
    form.chairs.choices = [(u.id, u.display_name) for u in service.members(g.user.org_id)]
    if not form.is_submitted():
        form.chairs.data = sorted(service.chair_ids(g.user.org_id))
    if form.validate_on_submit():
        service.set_chairs(g.user.org_id, form.chairs.data or [], g.user)
        flash(_("Chairs saved"), "success")
        return redirect(url_for("panel.chairs"))
    return render_template("panel/chairs.html", form=form), 400 if form.errors else 200


@bp.route("/evaluation")
@signed_in("panel.figures")
def evaluation():
    table = service.figures(g.user)
    return render_template("panel/evaluation.html", table=table,
                           figures=service.figure_keys(g.user), labels=service.FIGURE_LABELS, units=service.FIGURE_UNITS,
                           fewer_than=service.FEWER_THAN)
