"""In-app notifications: each person reads their own, and marks them read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from reporting.models import Notification


def notifications_of(user) -> QuerySet[Notification]:
    """Return the user's notifications, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_notification_count(user) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def access_notification_by_id(user, notification_id: int) -> Notification:
    """Return the notification if it is the user's own; 404 otherwise."""
    try:
        return notifications_of(user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification") from None


def notification_mark_read(*, acting_user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent)."""
    notification = access_notification_by_id(acting_user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, acting_user) -> int:
    """Mark every unread notification of the user read; return how many."""
    return (
        notifications_of(acting_user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
