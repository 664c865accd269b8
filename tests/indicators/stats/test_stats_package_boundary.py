"""The numerical core must import and run with no Django and no settings configured."""

import os
import subprocess
import sys
from pathlib import Path

from indicators.stats import METHOD_VERSION

REPO = Path(__file__).resolve().parents[3]
MODULES = [
    "zscores",
    "its",
    "spells",
    "pooling",
    "spc",
    "early_warning",
    "survival",
    "staff_survey",
    "categories",
    "segmentation",
    "exit_readiness",
    "periods",
    "simulation",
    "simulation_plan",
    "funnel",
]


def test_it_imports_every_module_without_pulling_in_django():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    imports = "; ".join(f"import indicators.stats.{name}" for name in MODULES)
    code = f"{imports}; import sys; assert not any(m.startswith('django') for m in sys.modules), 'django imported'"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def test_it_exposes_a_method_version_string():
    assert METHOD_VERSION == "2026.12-1"


def test_the_compute_pipeline_imports_without_django_too():
    """indicators.compute joins the statistics with plain pandas: the recompute's ORM side lives in recompute."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = "import indicators.compute, sys; assert not any(m.startswith('django') for m in sys.modules), 'django'"
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
