"""The audit trail: database triggers (django-pghistory) record every change to domain
data, and services label each change with who did it and why."""

import contextlib
import contextvars
from collections.abc import Iterator

import pghistory

# The outermost action of the current call chain. A service called by another service
# (role_grant inside users_bulk_import) records its own name as a step, so the event
# still says which user-facing action it belonged to.
_current_action: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_action", default=None
)


def audit_trackers() -> tuple:
    """Return the trackers every audited model uses: inserts, updates and deletes."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


@contextlib.contextmanager
def audit_context(*, acting_user, action: str, **details) -> Iterator[None]:
    """Attach the acting user and a named action to every change made inside."""
    outer = _current_action.get()
    labels = {"action": action} if outer is None else {"action": outer, "step": action}
    token = _current_action.set(labels["action"])
    try:
        with pghistory.context(
            user=getattr(acting_user, "pk", None),
            username=getattr(acting_user, "username", None),
            **labels,
            **details,
        ):
            yield
    finally:
        _current_action.reset(token)
