"""Case list, creating a case, the case page and its audit trail."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, db, i18n, policy
from ..http import page_number
from ..models import ADVOCATE, ICTG, AuditEvent, Case, User
from ..policy import guard, signed_in
from . import service
from .forms import AGE_BAND_LABELS, AssignForm, EditCaseForm, NewCaseForm

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _language_choices():
    return [(code, i18n.staff_language_name(code)) for code in i18n.CHILD_LANGUAGES]


def _people_choices(org_id, role):
    return [("", _("Not assigned"))] + [(u.id, u.display_name)
                                         for u in service.colleagues(org_id, role)]


@bp.app_context_processor
def _labels():
    return {"age_band_label": lambda band: AGE_BAND_LABELS.get(band, band)}


@bp.route("/")
@signed_in()
def index():
    if not policy.may("cases.list"):
        return redirect(url_for("admin.organisations"))
    page = service.visible_to(g.user, page_number())
    if page is None:
        abort(404)
    readable = [case for case in page.items if policy.allowed(g.user, "case.read", case)]
    names = {case.id: service.name(case) for case in readable}
    audit.record_each("case.read_name", readable)
    return render_template("cases/index.html", page=page, names=names)


@bp.route("/new", methods=["GET", "POST"])
@signed_in("cases.create")
def new():
    form = NewCaseForm()
    org_id = g.user.org_id
    form.languages.choices = _language_choices()
    form.panel.choices = [("", _("Choose a panel"))] + [(p.id, p.name) for p in service.panels()]
    form.ictg.choices = _people_choices(org_id, ICTG)
    form.advocate.choices = _people_choices(org_id, ADVOCATE)
    if not form.is_submitted():
        (form.ictg if g.user.role == ICTG else form.advocate).data = g.user.id
    if form.validate_on_submit():
        session = db.session()
        panel = next(p for p in service.panels() if p.id == form.panel.data)
        ictg = session.get(User, form.ictg.data) if form.ictg.data else None
        advocate = session.get(User, form.advocate.data) if form.advocate.data else None
        if g.user.id not in (getattr(ictg, "id", None), getattr(advocate, "id", None)):
            form.ictg.errors.append(_("Assign yourself as the ICTG or the advocate"))
        else:
            case = service.create(g.user.org, panel, form.name.data, form.age_band.data,
                                  form.languages.data, ictg, advocate, form.panel_date.data)
            flash(_("Case created"), "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/new.html", form=form), 400 if form.errors else 200


@bp.route("/<case_id>")
@guard("case.meta", Case)
def show(case):
    can_read = policy.allowed(g.user, "case.read", case)
    name = None
    if can_read:
        name = service.name(case)
        audit.record("case.read_name", case)
    return render_template("cases/show.html", case=case, name=name, can_read=can_read,
                           can_edit=policy.allowed(g.user, "case.edit", case),
                           can_assign=policy.allowed(g.user, "case.assign", case),
                           can_audit=policy.allowed(g.user, "case.audit", case))


@bp.route("/<case_id>/edit", methods=["GET", "POST"])
@guard("case.edit", Case)
def edit(case):
    form = EditCaseForm(obj=case)
    form.languages.choices = _language_choices()
    if not form.is_submitted():
        form.name.data = service.name(case)
        audit.record("case.read_name", case)
    if form.validate_on_submit():
        case.name = service.cipher(case).seal(case.id, "name", form.name.data.strip())
        case.age_band, case.languages = form.age_band.data, form.languages.data
        case.panel_date = form.panel_date.data
        audit.record("case.edit", case)
        flash(_("Changes saved"), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/edit.html", form=form, case=case), 400 if form.errors else 200


@bp.route("/<case_id>/assign", methods=["GET", "POST"])
@guard("case.assign", Case)
def assign(case):
    form = AssignForm(ictg=case.ictg_id or "", advocate=case.advocate_id or "")
    form.ictg.choices = _people_choices(case.provider_id, ICTG)
    form.advocate.choices = _people_choices(case.provider_id, ADVOCATE)
    if form.validate_on_submit():
        case.ictg_id, case.advocate_id = form.ictg.data or None, form.advocate.data or None
        audit.record("case.assign", case)
        flash(_("Assignment saved"), "success")
        return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/assign.html", form=form, case=case), 400 if form.errors else 200


@bp.route("/<case_id>/audit")
@guard("case.audit", Case)
def trail(case):
    events = db.session().scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                  .order_by(AuditEvent.id.desc()).limit(500)).all()
    people = {u.id: u.display_name for u in db.session().scalars(
        select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id})))}
    audit.record("case.audit_read", case)
    return render_template("cases/audit.html", case=case, events=events, people=people)
