"""Fixtures shared by the whole suite: the real PostgreSQL test database with the
country's administrative units loaded once, a real Celery worker on the real Redis
broker, and a headless Chromium driven by Playwright."""

import os
import shutil
import uuid

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


@pytest.fixture(scope="session", autouse=True)
def _stray_tasks_dropped():
    """Drop, after the run, the tasks tests enqueued with no worker to read them
    (see CELERY_TASK_DEFAULT_QUEUE in the test settings)."""
    yield
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).delete(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def celery_private_queue():
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def celery_app(celery_private_queue):
    """The project's own Celery app (real Redis broker), for ``celery_worker``.

    Every task of the test goes to a queue of its own, which only this test's worker
    reads: other suites sharing the Redis server run workers too, and must not take
    these tasks (nor this worker theirs).
    """
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)

    from config.celery import app

    saved = app.conf.task_routes
    app.conf.task_routes = {"*": {"queue": celery_private_queue}}
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    yield app
    app.conf.task_routes = saved
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
    # The worker's queue selection sticks to the app's cached queues: drop it so a
    # later worker starts from the default again.
    app.amqp.__dict__.pop("queues", None)


@pytest.fixture
def celery_worker_parameters(celery_private_queue):
    return {"queues": (celery_private_queue,)}


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
