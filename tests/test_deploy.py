"""The production settings pass Django's deployment checklist with no warning."""

import os
import secrets
import string
import subprocess
import sys

from django.conf import settings

ALPHABET = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"


def _check_deploy(**environ: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SECURE_", "SESSION_", "CSRF_"))
        and key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", **environ)
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    # given a strong secret and a real host name
    secret = "".join(secrets.choice(ALPHABET) for _ in range(60))

    # when Django checks the deployment
    result = _check_deploy(SECRET_KEY=secret, ALLOWED_HOSTS="example.gov.vn")

    # then nothing is reported
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_weak_secret_fails_the_checklist():
    result = _check_deploy(SECRET_KEY="ngan-qua", ALLOWED_HOSTS="example.gov.vn")
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret():
    result = _check_deploy(ALLOWED_HOSTS="example.gov.vn")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
