"""Deployment settings, session expiry, login throttling and CSRF."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_prod_settings_pass_the_deployment_checklist_without_warnings(tmp_path):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="oversight.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="oversight.example.nhs.uk",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_prod_refuses_to_start_without_a_secret_key(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oversight.settings.prod", SECRET_KEY="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sessions_expire():
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_sign_in_is_refused_after_repeated_failures(alice):
    from oversight.views import LOGIN_FAILURE_LIMIT
    from tests.security.sign_ins import assert_locked_out_after, site_login

    assert_locked_out_after(site_login, LOGIN_FAILURE_LIMIT)


@pytest.mark.django_db
def test_sign_in_works_before_the_limit(alice):
    browser = Client()
    response = browser.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"})
    assert response.status_code == 302
    assert browser.get("/audit/").status_code == 200


def test_api_writes_from_a_browser_session_need_csrf(world):
    from tests.api.world import patch_criterion

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["alice"])
    response = patch_criterion(browser, world["records"]["own"]["criterion"])
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_token_requests_need_no_csrf(world, tokens):
    from tests.api.world import patch_criterion

    browser = Client(enforce_csrf_checks=True)
    response = patch_criterion(browser, world["records"]["own"]["criterion"], tokens["write_bob"])
    assert response.status_code == 200


def test_every_response_carries_a_request_id(world, tokens):
    from tests.api.world import bearer

    response = Client().get("/api/v1/ping/", **bearer(tokens["read"]))
    assert len(response["X-Request-ID"]) >= 16
