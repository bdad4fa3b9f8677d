import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Store uploaded lists in a temporary folder, never in the project's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
