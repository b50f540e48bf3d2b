"""Running organisations and their people: service admins and organisation admins."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, db
from ..auth import service as auth_service
from ..auth import sessions
from ..auth.forms import ConfirmForm
from ..models import ORG_ADMIN, ROLES_BY_KIND, AuditEvent, Case, Invitation, Organisation, User, now
from ..policy import guard, signed_in
from .forms import ROLE_LABELS, InviteForm, OrganisationForm, RoleForm

bp = Blueprint("admin", __name__)


def _invite_link(token: str) -> str:
    return url_for("auth.accept", token=token, _external=True)


def _email_taken(email: str) -> bool:
    return auth_service.find_user(email) is not None


ORG_KIND_LABELS = {"provider": _l("Provider"), "panel": _l("Panel")}


@bp.route("/admin/organisations", methods=["GET", "POST"])
@signed_in("organisations.manage")
def organisations():
    form = OrganisationForm()
    link = None
    if form.validate_on_submit():
        if _email_taken(form.admin_email.data):
            form.admin_email.errors.append(_("There is already an account with this email address"))
        else:
            org = Organisation(name=form.name.data.strip(), kind=form.kind.data)
            db.session().add(org)
            db.session().flush()
            audit.record("organisation.create", org, org_id=org.id)
            link = _invite_link(auth_service.invite(org, form.admin_email.data, ORG_ADMIN, g.user))
            form = OrganisationForm(formdata=None)
    orgs = db.session().scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/organisations.html", form=form, orgs=orgs, link=link,
                           org_kind_labels=ORG_KIND_LABELS), \
        400 if form.errors else 200


def _org_people():
    return db.session().scalars(select(User).where(User.org_id == g.user.org_id)
                                .order_by(User.display_name)).all()


def _role_choices(org):
    return [(role, ROLE_LABELS[role]) for role in ROLES_BY_KIND[org.kind]]


@bp.route("/organisation/people", methods=["GET", "POST"])
@signed_in("people.manage")
def people():
    form = InviteForm()
    form.role.choices = _role_choices(g.user.org)
    link = None
    if form.validate_on_submit():
        if _email_taken(form.email.data):
            form.email.errors.append(_("There is already an account with this email address"))
        else:
            link = _invite_link(auth_service.invite(g.user.org, form.email.data, form.role.data,
                                                    g.user))
            form = InviteForm(formdata=None)
            form.role.choices = _role_choices(g.user.org)
    invitations = db.session().scalars(select(Invitation).where(
        Invitation.org_id == g.user.org_id, Invitation.used_at.is_(None),
        Invitation.expires_at > now()).order_by(Invitation.created_at.desc())).all()
    return render_template("admin/people.html", form=form, people=_org_people(),
                           invitations=invitations, link=link, role_labels=ROLE_LABELS), \
        400 if form.errors else 200


@bp.route("/organisation/people/<user_id>")
@guard("person.manage", User, arg="user_id", as_="person")
def person(person):
    form = RoleForm(role=person.role)
    form.role.choices = _role_choices(g.user.org)
    return render_template("admin/person.html", person=person, form=form, confirm=ConfirmForm(),
                           role_labels=ROLE_LABELS)


@bp.route("/organisation/people/<user_id>/role", methods=["POST"])
@guard("person.manage", User, arg="user_id", as_="person", fresh="admin.person")
def change_role(person):
    form = RoleForm()
    form.role.choices = _role_choices(g.user.org)
    if form.validate_on_submit():
        person.role = form.role.data
        sessions.end_all(person)
        audit.record("person.role_change", person)
        flash(_("Role changed. Their sessions were ended so the change applies at once."), "success")
        return redirect(url_for("admin.person", user_id=person.id))
    return render_template("admin/person.html", person=person, form=form, confirm=ConfirmForm(),
                           role_labels=ROLE_LABELS), 400


@bp.route("/organisation/people/<user_id>/end-sessions", methods=["POST"])
@guard("person.manage", User, arg="user_id", as_="person")
def end_sessions(person):
    if ConfirmForm().validate_on_submit():
        count = sessions.end_all(person)
        audit.record("person.end_sessions", person)
        flash(_("Signed out of %(count)d devices", count=count), "success")
    return redirect(url_for("admin.person", user_id=person.id))


@bp.route("/organisation/people/<user_id>/active", methods=["POST"])
@guard("person.manage", User, arg="user_id", as_="person", fresh="admin.person")
def toggle_active(person):
    if ConfirmForm().validate_on_submit():
        person.active = not person.active
        if not person.active:
            sessions.end_all(person)
        audit.record("person.activate" if person.active else "person.deactivate", person)
        flash(_("Account turned on") if person.active else _("Account turned off"), "success")
    return redirect(url_for("admin.person", user_id=person.id))


@bp.route("/organisation/audit")
@signed_in("org.audit")
def org_audit():
    case_ids = select(Case.id).where(Case.provider_id == g.user.org_id)
    events = db.session().scalars(select(AuditEvent).where(
        (AuditEvent.org_id == g.user.org_id) | AuditEvent.case_id.in_(case_ids))
        .order_by(AuditEvent.id.desc()).limit(500)).all()
    people = {u.id: u.display_name for u in _org_people()}
    return render_template("admin/audit.html", events=events, people=people)
