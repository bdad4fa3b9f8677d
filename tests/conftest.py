"""Fixtures shared by the whole suite: the real PostgreSQL test database with the
country's administrative units loaded once, a real Celery worker on the real Redis
broker, and a headless Chromium driven by Playwright."""

import os
import shutil

import pytest

pytest_plugins = ("celery.contrib.pytest",)

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse ORM calls made from that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load both sets of administrative units once for every test using ``db``.

    Tests that need ``transactional_db`` (live server, Celery worker) run after these;
    each one flushes the database when it ends, so only the first still sees the
    country. They build the units they need with codes no real unit carries
    (tests/orgunits/factories.py), which works whether the country is there or not.
    """
    from orgunits.services import admin_units_load

    with django_db_blocker.unblock():
        admin_units_load()


@pytest.fixture
def celery_app():
    """The project's own Celery app (real Redis broker), for ``celery_worker``."""
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)

    from config.celery import app

    return app


@pytest.fixture
def celery_worker_pool():
    return "solo"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs it)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
    }


@pytest.fixture
def page_errors(page):
    """Collect the browser console's errors and uncaught page errors (a CSP refusal
    shows up here), for a test to assert there are none."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
