"""The audit trail: database triggers (django-pghistory) record every change to domain
data, and services label each change with who did it and why."""

import contextlib
from collections.abc import Iterator

import pghistory


def audit_trackers() -> tuple:
    """Return the trackers every audited model uses: inserts, updates and deletes."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@contextlib.contextmanager
def audit_context(*, acting_user, action: str, **details) -> Iterator[None]:
    """Attach the acting user and a named action to every change made inside."""
    user_id = getattr(acting_user, "pk", None)
    username = getattr(acting_user, "username", None)
    with pghistory.context(user=user_id, username=username, action=action, **details):
        yield
