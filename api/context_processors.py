"""Template context for the navigation: whether to show the API token page."""

from functools import partial

from api.selectors import user_administers_tokens


def navigation(request) -> dict:
    """Offer the answer lazily: it is computed only if a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_administers_tokens": partial(user_administers_tokens, user)}
