"""Test settings: the real PostgreSQL and Redis, fast hashing, mail kept in memory."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = "ebaocao-test"
AXES_FAILURE_LIMIT = 5
LOGGING["root"]["level"] = "WARNING"
# Several suites can share one server (parallel developers, CI jobs): name the test
# database per run when needed.
DATABASES["default"]["TEST"] = {
    "NAME": os.environ.get("TEST_DATABASE_NAME", "test_ebaocao")
}
# Tasks a test enqueues without a worker of its own (a transactional test's
# on_commit) wait in a queue no development or demo worker reads.
CELERY_TASK_DEFAULT_QUEUE = "ebaocao-tests"
