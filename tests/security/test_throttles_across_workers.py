"""Throttles hold across worker processes: gunicorn with two workers, PostgreSQL and Redis, on loopback.

Eleven wrong admin passwords, sent from several clients at once so both workers answer, end in a
lockout that also refuses the right password; a token limited to 20 requests gets exactly 20 of
30. With a per-process cache each worker would keep its own count, and both would let more in.
The access log's worker pids show that both workers served the requests counted.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.api.world import issue_token

pytestmark = pytest.mark.slow
HOST = "127.0.0.1"
REQUEST_LIMIT = 20


def redis_url() -> str | None:
    url = os.environ.get("CACHE_URL") or os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else None


@pytest.fixture
def server(child_env, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL), as the workers share the test database")
    if not redis_url():
        pytest.skip("needs Redis (CACHE_URL or CELERY_BROKER_URL)")
    gunicorn = shutil.which("gunicorn") or str(settings.BASE_DIR / ".venv" / "bin" / "gunicorn")
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    log = tmp_path / "access.log"
    env = dict(
        child_env,
        CACHE_URL=redis_url(),
        CACHE_KEY_PREFIX=f"throttle-test-{uuid.uuid4().hex}",  # nothing left by an earlier run counts
        API_THROTTLE_TOKEN_RATE=f"{REQUEST_LIMIT}/hour",
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [
            gunicorn,
            "oversight.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(s)s %(m)s %(U)s",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        # Both workers up, not just the first: on a loaded machine the second one boots later, and a
        # test that needs both to answer would otherwise see one worker take every request.
        while len(worker_pids(log, "/healthz", wait=False)) < 2:
            try:
                get(port, "/healthz")
            except OSError:
                pass
            assert process.poll() is None, f"gunicorn exited with {process.returncode}"
            assert time.monotonic() < deadline, "gunicorn's two workers did not both answer within 60 s"
            time.sleep(0.05)
        yield port, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(port, method, path, body=None, headers=None):
    """One request on a fresh connection, so either worker may take it."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response.getheader("Set-Cookie", "")
    finally:
        conn.close()


def get(port, path, headers=None):
    return call(port, "GET", path, headers=headers)


def worker_pids(log, path: str, *, wait: bool = True) -> set[str]:
    lines = []
    for _ in range(50 if wait else 1):  # the access log is written as each request finishes
        lines = [line.split() for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
        if lines:
            break
        time.sleep(0.1)
    return {parts[0] for parts in lines if len(parts) >= 4 and parts[3] == path}


def test_eleven_wrong_admin_passwords_are_throttled_across_two_workers(server, alice):
    port, log = server
    status, page, cookie_header = get(port, "/admin/login/")
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = SimpleCookie()
    cookie.load(cookie_header)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie['csrftoken'].value}",
    }

    def try_password(password):
        body = urlencode({"username": "alice", "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"})
        return call(port, "POST", "/admin/login/", body, headers)[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        wrong = list(pool.map(try_password, [f"wrong-{n}" for n in range(11)]))
    assert sorted(wrong) == [200] * 10 + [429]
    assert try_password("alice-password-1") == 429  # locked: the right password is refused too
    assert len(worker_pids(log, "/admin/login/")) == 2, "both workers should have answered sign-ins"


def test_a_token_throttle_holds_across_two_workers(server, alice):
    port, log = server
    headers = {"Authorization": f"Bearer {issue_token(alice, 'read')}"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: get(port, "/api/v1/ping/", headers)[0], range(30)))
    assert statuses.count(200) == REQUEST_LIMIT
    assert statuses.count(429) == 30 - REQUEST_LIMIT
    assert len(worker_pids(log, "/api/v1/ping/")) == 2, "both workers should have answered the token"
