"""The synthetic companion fills only what no real file covers, only where an indicator applies,
and a page showing anything synthetic says so once, in a banner."""

from datetime import date

import pytest

from indicators.demo import demo_data_generate
from indicators.models import ImportBatch, Indicator, Observation
from tests.indicators.builders import demo_trusts

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated_beside_real(db, settings, tmp_path):
    # The catalogue as bundled, but delayed transfers applying only to mental health trusts (which get no series).
    catalogue = (settings.DATA_DIR / "indicators.csv").read_text(encoding="utf-8").splitlines()
    catalogue = [line.rsplit(",", 1)[0] + ",mental_health" if line.startswith("dtoc,") else line for line in catalogue]
    (tmp_path / "indicators.csv").write_text("\n".join(catalogue) + "\n", encoding="utf-8")
    settings.DATA_DIR = tmp_path
    trusts = demo_trusts(150)
    demo_data_generate(seed=5, start=date(2019, 7, 1), end=date(2023, 6, 1))  # the catalogue, first
    rtt = Indicator.objects.get(code="rtt_18wk")
    real = ImportBatch.objects.create(file_name="rtt.csv", sha256="1" * 64, format="rtt")
    Observation.objects.create(
        organisation=trusts[5], indicator=rtt, period=date(2020, 1, 1), numerator=10, denominator=100, value=0.1,
        batch=real,
    )  # fmt: skip
    summary = demo_data_generate(seed=5, start=date(2019, 7, 1), end=date(2023, 6, 1))
    return trusts, summary


def test_an_indicator_with_any_real_value_gets_no_synthetic_value(generated_beside_real):
    _, summary = generated_beside_real
    assert list(Observation.objects.filter(indicator__code="rtt_18wk").values_list("batch__file_name", flat=True)) == [
        "rtt.csv"
    ]
    assert "rtt_18wk" in summary.real_indicators
    assert Observation.objects.filter(indicator__code="vacancy_rate", batch__synthetic=True).exists()
    assert not Indicator.objects.get(code="rtt_18wk").synthetic


def test_no_value_is_generated_for_a_trust_the_indicator_does_not_apply_to(generated_beside_real):
    assert Indicator.objects.get(code="dtoc").applies_to == ["mental_health"]
    assert not Observation.objects.filter(indicator__code="dtoc").exists()
    kinds = set(
        Observation.objects.filter(indicator__code="emergency_caesarean").values_list("organisation__kind", flat=True)
    )
    assert kinds == {"acute"}


def test_the_banner_shows_once_when_synthetic_data_is_held_and_not_otherwise(db, alice, client):
    client.force_login(alice)
    assert "synthetic-banner" not in client.get("/trusts/").content.decode()

    demo_trusts(150)
    demo_data_generate(seed=5, start=date(2019, 7, 1), end=date(2023, 6, 1))
    html = client.get("/trusts/").content.decode()
    assert html.count('class="synthetic-banner"') == 1
    assert "Some figures on this page are synthetic demo data" in html
