"""A hostile session cookie is treated as no session, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cookie", ["abc\x00def", "x" * 500, "ünïcode", "a b"])
def test_it_answers_a_hostile_session_cookie_with_the_login_page(client, cookie):
    client.cookies["sessionid"] = cookie
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_pages_refuse_methods_that_would_change_nothing(client, alice):
    client.force_login(alice)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/").status_code == 405
