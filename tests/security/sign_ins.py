"""Signing in through the site's login form and the admin's, and the lockout both share."""

from django.test import Client


def admin_login(client, username, password, **extra):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra)


def site_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def assert_locked_out_after(login, failures: int) -> None:
    """`failures` wrong passwords for alice in one browser, each answered with the form again; then her right
    password is refused too (429, told why) and she is not signed in."""
    browser = Client()
    for _ in range(failures):
        assert login(browser, "alice", "wrong").status_code == 200
    refused = login(browser, "alice", "alice-password-1")
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in browser.session
