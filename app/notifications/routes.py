"""The notifications page: a person's own list, marking read, and how they want to be notified.

Every view is the signed-in person's own: a notification of someone else is a 404, as a record
of another region is. Experts read and mark their notifications too (@allow_experts).
"""
from flask import abort, current_app, g, request, url_for
from flask_login import current_user, login_required

from app.core.access import allow_experts, load
from app.core.forms import page_number
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect
from app.notifications import bp, services
from app.notifications.forms import DeliveryForm
from app.notifications.models import Delivery, Notification

LIST_TARGET = "notifications"


@bp.app_template_global()
def unread_notifications() -> int:
    """The signed-in person's unread count for the site header: one query per page, none when not shown."""
    if "unread_notifications" not in g:
        g.unread_notifications = services.unread_count(current_user)
    return g.unread_notifications


def _list_context(form: DeliveryForm | None = None) -> dict:
    page = db.paginate(services.for_user(current_user), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    if form is None:
        form = DeliveryForm(formdata=None, delivery=services.delivery_for(current_user).value)
    return dict(page=page, form=form, unread=unread_notifications())


@bp.get("/")
@login_required
def index():
    """The person's notifications, unread first and newest first, and how they are notified."""
    return render("notifications/index.html", "notifications/_swap.html", target=LIST_TARGET, **_list_context())


def _own(notification_id) -> Notification:
    """One of the signed-in person's notifications by the id a form sent; anyone else's is a 404."""
    notification = load(Notification, notification_id if notification_id is not None else -1)
    if notification.user_id != current_user.id:
        abort(404)
    return notification


def _list_changed():
    db.session.commit()
    g.pop("unread_notifications", None)
    return swap_or_redirect(url_for("notifications.index", page=page_number()), "notifications/index.html",
                            "notifications/_swap.html", trigger="notificationsChanged", **_list_context())


@bp.post("/read")
@allow_experts
@login_required
def mark_read():
    """Mark one notification read."""
    services.mark_read(_own(request.form.get("notification", type=int)))
    return _list_changed()


@bp.post("/read-all")
@allow_experts
@login_required
def mark_all_read():
    """Mark every notification read."""
    services.mark_all_read(current_user)
    return _list_changed()


@bp.post("/open", endpoint="open")
@allow_experts
@login_required
def open_link():
    """Mark a notification read and go where it is acted on."""
    notification = _own(request.form.get("notification", type=int))
    services.mark_read(notification)
    db.session.commit()
    return redirect_after_write(services.safe_link(notification.link) or url_for("notifications.index"))


@bp.post("/settings")
@allow_experts
@login_required
def settings():
    """Choose notifications in Grove and by e-mail, or in Grove only."""
    form = DeliveryForm()
    if not form.validate_on_submit():
        return invalid("notifications/index.html", "notifications/_settings.html", **_list_context(form))
    services.set_delivery(current_user, Delivery(form.delivery.data))
    db.session.commit()
    return swap_or_redirect(url_for("notifications.index") + "#settings", "notifications/index.html",
                            "notifications/_settings.html", saved=True, **_list_context())
