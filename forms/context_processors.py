"""Template context for the navigation."""

from forms.selectors import user_is_designer


def navigation(request) -> dict:
    """Tell the layout whether to show the form builder link."""
    user = getattr(request, "user", None)
    return {"nav_is_designer": user_is_designer(user) if user is not None else False}
