"""Test settings: the real PostgreSQL and Redis, fast hashing, mail kept in memory."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES["default"]["KEY_PREFIX"] = "ebaocao-test"
AXES_FAILURE_LIMIT = 5
LOGGING["root"]["level"] = "WARNING"
