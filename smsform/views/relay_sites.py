"""The administrators' page of the relay (``/admin/relays``): the sites, issuing one (its
key shown on that answer only) and disabling one. The sites' wire is ``views/relay.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from smsform import messages
from smsform.forms import RelaySiteForm
from smsform.permissions import Permission, requires
from smsform.services import relay_sites
from smsform.services.relay_sites import Issued, RelayError, Site
from smsform.views.util import acting_user

bp = Blueprint("relay_sites", __name__)

TIME_FORMAT = "yyyy-MM-dd HH:mm"
#: Which form field each refusal of services.relay_sites belongs to.
_ERROR_FIELDS = {"name_invalid": "name", "name_taken": "name", "sender_invalid": "senders",
                 "no_senders": "senders", "network_invalid": "allow_ips",
                 "limit_invalid": "daily_limit", "charset_invalid": "charset"}


def _site_row(site: Site) -> dict[str, Any]:
    """A site as the list shows it (times in Korea time; never the key)."""
    return {"name": site.name, "user_id": site.user_id, "senders": ", ".join(site.senders),
            "daily_limit": site.daily_limit, "test_only": site.test_only,
            "allow_ips": ", ".join(site.allow_ips), "charset": site.charset,
            "active": site.active, "created_at": format_datetime(site.created_at, TIME_FORMAT),
            "last_used_at": (format_datetime(site.last_used_at, TIME_FORMAT)
                             if site.last_used_at else None)}


def _sites_page(form: RelaySiteForm, issued: Issued | None = None,
                status: int = 200) -> tuple[str, int]:
    return render_template("relay_sites/index.html", form=form, issued=issued,
                           sites=[_site_row(s) for s in relay_sites.list_sites()]), status


def _create(form: RelaySiteForm) -> Issued | None:
    """Issue the form's site; None (with the refusal beside its field) when refused."""
    try:
        return relay_sites.create_site(
            form.name.data or "", relay_sites.split_list(form.senders.data),
            daily_limit=relay_sites.parse_limit(form.daily_limit.data),
            test_only=bool(form.test_only.data),
            allow_ips=relay_sites.split_list(form.allow_ips.data),
            charset=form.charset.data or "auto", by=acting_user())
    except RelayError as exc:
        field = getattr(form, _ERROR_FIELDS.get(exc.code, "name"))
        field.errors = [*field.errors, messages.refusal_text(exc)]
        return None


@bp.route("/admin/relays", methods=["GET", "POST"])
@requires(Permission.MANAGE_RELAYS)
def index() -> Any:
    """The relay sites, and issuing one (its key is shown on this answer only)."""
    form = RelaySiteForm()
    if form.validate_on_submit():
        issued = _create(form)
        if issued is not None:
            return _sites_page(RelaySiteForm(formdata=None), issued)
    return _sites_page(form, status=400 if form.errors else 200)


@bp.route("/admin/relays/<path:name>/disable", methods=["POST"])
@requires(Permission.MANAGE_RELAYS)
def disable(name: str) -> Response:
    """Stop a site's id and key for good."""
    try:
        changed = relay_sites.disable_site(name, by=acting_user())
    except RelayError as exc:
        flash(messages.refusal_text(exc), "error")
        return redirect(url_for("relay_sites.index"))
    flash(_("%(name)s is disabled: its id and key no longer work.", name=name) if changed
          else _("%(name)s was already disabled.", name=name), "success")
    return redirect(url_for("relay_sites.index"))
