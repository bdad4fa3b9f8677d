"""Template context for the navigation: whether to show the review desk."""

from functools import partial

from workflow.selectors import user_is_reviewer


def navigation(request) -> dict:
    """Offer the answer lazily: it is computed only if a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_reviewer": partial(user_is_reviewer, user)}
