"""Deployment files stay valid: the compose stack parses, settings refuse malformed values."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from oversight.settings.env import env_bool, env_date, env_int

ROOT = Path(__file__).resolve().parents[2]


def test_the_compose_file_has_every_service_the_stack_needs():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])
    assert "migrate" in compose["services"]["web"]["command"]
    assert "beat" in compose["services"]["beat"]["command"]


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_config_parses_it():
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env={"SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_env_example_names_every_setting_the_code_reads():
    example = (ROOT / ".env.example").read_text()
    settings_source = "".join(path.read_text() for path in (ROOT / "oversight" / "settings").glob("*.py"))
    import re

    read = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', settings_source))
    missing = {name for name in read if f"{name}=" not in example}
    assert not missing


def test_it_refuses_a_malformed_boolean(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        env_bool("DEBUG")


def test_it_reads_the_data_cut_off_as_a_date_and_refuses_anything_else(monkeypatch):
    from datetime import date

    monkeypatch.setenv("OVERSIGHT_DATA_CUTOFF", "2025-06-30")
    assert env_date("OVERSIGHT_DATA_CUTOFF") == date(2025, 6, 30)
    monkeypatch.setenv("OVERSIGHT_DATA_CUTOFF", "June 2025")
    with pytest.raises(ImproperlyConfigured, match="OVERSIGHT_DATA_CUTOFF"):
        env_date("OVERSIGHT_DATA_CUTOFF")
    monkeypatch.delenv("OVERSIGHT_DATA_CUTOFF")
    assert env_date("OVERSIGHT_DATA_CUTOFF") is None


def test_it_refuses_a_malformed_integer(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_AGE", "8h")
    with pytest.raises(ImproperlyConfigured, match="SESSION_COOKIE_AGE"):
        env_int("SESSION_COOKIE_AGE", 1)
