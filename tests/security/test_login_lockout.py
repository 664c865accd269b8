"""The sign-in lockout: the site's login and the admin's share it, keyed on the account and the client
address as seen through the configured proxies, counted in the shared cache.

alice — oversight staff (may use the admin); bob — an improvement director.
"""

import pytest
from django.test import Client, RequestFactory, override_settings

from oversight.login_throttle import client_address
from oversight.settings.base import _caches
from tests.security.sign_ins import admin_login, assert_locked_out_after, site_login

LIMIT = 10


@pytest.mark.django_db
def test_the_admin_login_is_refused_after_ten_wrong_passwords(alice):
    assert_locked_out_after(admin_login, LIMIT)


@pytest.mark.django_db
def test_the_admin_and_the_site_share_one_count(alice):
    browser = Client()
    for _ in range(LIMIT // 2):
        admin_login(browser, "alice", "wrong")
        site_login(browser, "alice", "wrong")
    assert site_login(browser, "alice", "alice-password-1").status_code == 429
    assert admin_login(browser, "alice", "alice-password-1").status_code == 429


@pytest.mark.django_db
def test_a_success_before_the_limit_starts_the_count_again(alice):
    browser = Client()
    for _ in range(LIMIT - 1):
        admin_login(browser, "alice", "wrong")
    assert admin_login(browser, "alice", "alice-password-1").status_code == 302
    browser.logout()
    for _ in range(LIMIT - 1):
        assert admin_login(browser, "alice", "wrong").status_code == 200
    assert admin_login(browser, "alice", "alice-password-1").status_code == 302


@pytest.mark.django_db
def test_an_attacker_cannot_lock_a_user_out_from_elsewhere_nor_lock_out_other_accounts(alice, bob):
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    for _ in range(LIMIT + 1):
        site_login(Client(), "alice", "wrong", **attacker)
    assert site_login(Client(), "alice", "alice-password-1", **attacker).status_code == 429
    assert site_login(Client(), "alice", "alice-password-1", REMOTE_ADDR="198.51.100.7").status_code == 302
    assert site_login(Client(), "bob", "bob-password-1", **attacker).status_code == 302


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_each_client_is_counted_apart_and_a_forged_header_does_not_help(alice):
    proxy = "10.0.0.2"  # every request arrives from the proxy
    attacker = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for number in range(LIMIT + 1):
        # The attacker's own X-Forwarded-For entries come before the proxy's; only the proxy's counts.
        forged = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": f"192.0.2.{number}, 203.0.113.9"}
        site_login(Client(), "alice", "wrong", **(forged if number % 2 else attacker))
    assert site_login(Client(), "alice", "alice-password-1", **attacker).status_code == 429
    colleague = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert site_login(Client(), "alice", "alice-password-1", **colleague).status_code == 302


def test_the_client_address_is_read_through_the_configured_number_of_proxies():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.2")
    with override_settings(TRUSTED_PROXY_COUNT=0):
        assert client_address(request) == "10.0.0.3"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_address(request) == "10.0.0.2"
    with override_settings(TRUSTED_PROXY_COUNT=2):
        assert client_address(request) == "203.0.113.9"


def test_the_cache_is_redis_when_configured_and_the_database_otherwise():
    assert _caches("redis://cache:6379/1", "")["default"]["BACKEND"].endswith("RedisCache")
    from_broker = _caches("", "redis://broker:6379/0")["default"]
    assert (from_broker["BACKEND"].endswith("RedisCache"), from_broker["LOCATION"]) == (True, "redis://broker:6379/0")
    database = _caches("", "")["default"]
    assert (database["BACKEND"], database["LOCATION"]) == (
        "django.core.cache.backends.db.DatabaseCache",
        "oversight_cache",
    )


@pytest.mark.django_db
def test_migrate_makes_the_database_cache_table():
    from django.db import connection

    assert "oversight_cache" in connection.introspection.table_names()


def test_a_negative_proxy_count_is_refused():
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import oversight.settings.base"],
        env={**os.environ, "TRUSTED_PROXY_COUNT": "-1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT=-1 cannot be negative" in result.stderr
