"""Template context for the navigation: the unread notification count."""

from functools import partial

from reporting.notifications import unread_notification_count


def notifications(request) -> dict:
    """Offer the unread count lazily: the query runs only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread_notifications": partial(unread_notification_count, user)}
