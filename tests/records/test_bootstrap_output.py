"""`make run` prints the demo logins, and what each role may do, last: just above the address it serves."""

import io

import pytest
from django.core.management import call_command

from oversight.management.commands import bootstrap

pytestmark = pytest.mark.django_db


def test_bootstrap_prints_the_demo_logins_and_each_roles_rights_last(monkeypatch):
    monkeypatch.setattr(bootstrap, "BUNDLED", [])  # no data files: this test is about the output's order
    monkeypatch.setattr(bootstrap, "demo_data_generate", lambda seed: "no synthetic data in this test")
    out = io.StringIO()
    call_command("bootstrap", "--no-compute", stdout=out)
    lines = out.getvalue().rstrip("\n").splitlines()
    start = lines.index("Demo logins (local use only):")
    assert any(line.startswith("bootstrap finished") for line in lines[:start])
    tail = "\n".join(lines[start:])
    for username, role, password in bootstrap.DEMO_ACCOUNTS:
        assert f"username {username}" in tail and f"password {password}" in tail
        assert bootstrap.ROLE_CAN[role] in tail
    assert lines[-1].startswith("  (director assigned to")


def test_make_run_prints_the_address_right_after_bootstrap():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.strip().splitlines()[0].strip() == "bootstrap"  # bootstrap (logins last) runs first
    assert "Serving Oversight on http://127.0.0.1:$(PORT)/" in run.splitlines()[1]
