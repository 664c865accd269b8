"""The synthetic demo set: calibrated to the evaluation, deterministic, idempotent, and labelled synthetic.

Most tests read one set generated for the module (150 trusts, series from July 2019 so the run
stays quick); the tests of determinism, idempotence and the command generate their own.
"""

import hashlib
from collections import Counter, defaultdict
from datetime import date, timedelta
from io import StringIO

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F

from indicators.constants import ED_4HR
from indicators.demo import demo_data_generate
from indicators.models import ImportBatch, Indicator, Observation
from indicators.stats.simulation import CP_MONTHS, SMQ_MONTHS, financial_year
from tests.indicators.builders import demo_trusts
from tests.reference_data import ensure_reference_data
from trusts.constants import CP, NOF4, SMQ, CriterionStatus, CriterionTheme, EpisodeRoute, FundingCategory
from trusts.models import (
    DiagnosticStocktake,
    EpisodeNote,
    ExitCriterion,
    ImprovementDirectorAssignment,
    Organisation,
    QualityRating,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)

pytestmark = pytest.mark.django_db

END = date(2025, 6, 1)
KEOGH_ENTRY = date(2013, 7, 16)
PROPORTIONS = (
    "rtt_18wk",
    "cancer_62d",
    "cancer_62d_skin",
    "dtoc",
    "emergency_caesarean",
    "sickness_absence",
    "vacancy_rate",
    "consultants_share",
    "nurses_share",
)


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker):
    """One synthetic set for the read-only tests of TestTheGeneratedSet, rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()  # a class-scoped fixture runs before the per-test reseeding
        demo_trusts(150)
        summary = demo_data_generate(seed=7, start=date(2019, 7, 1), end=END)
        # Check the deferred foreign keys once here: each test's teardown checks them inside its
        # own savepoint, which rolls back, so on PostgreSQL they would be rechecked every test.
        connection.check_constraints()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def episodes(generated):
    return list(RegimeEpisode.objects.select_related("regime", "organisation").order_by("organisation", "entered"))


def _by_organisation(episodes):
    grouped = defaultdict(list)
    for episode in episodes:
        grouped[episode.organisation_id].append(episode)
    return grouped


def _of(episodes, code):
    return [episode for episode in episodes if episode.regime.code == code]


def _segments_by_organisation():
    grouped = defaultdict(list)
    for row in SegmentAssignment.objects.order_by("organisation", "effective_from"):
        grouped[row.organisation_id].append(row)
    return grouped


def _national(code: str, year: int) -> float:
    rows = np.array(
        Observation.objects.filter(indicator__code=code, period__year=year).values_list("numerator", "denominator")
    )
    return rows[:, 0].sum() / rows[:, 1].sum()


class TestTheGeneratedSet:
    """Read-only checks of one set: 150 trusts, series from July 2019."""

    # --- calibration (domain.md; report Tables 13 and 22) ----------------------------------------------

    def test_it_calibrates_the_time_in_smq_and_cp_to_table_22(self, episodes):
        smq = [episode.months_in() for episode in _of(episodes, SMQ)]
        cp = [episode.months_in() for episode in _of(episodes, CP)]
        assert all(episode.exited for episode in _of(episodes, SMQ) + _of(episodes, CP))
        assert abs(np.mean(smq) - 27) <= 4
        assert (min(smq), max(smq)) == SMQ_MONTHS
        assert abs(np.mean(cp) - 14) <= 3
        assert (min(cp), max(cp)) == CP_MONTHS

    def test_it_escalates_18_of_47_cp_trusts_to_smq_on_the_day_they_leave_cp(self, episodes):
        grouped = _by_organisation(episodes)
        cp = _of(episodes, CP)
        escalated = [
            episode
            for episode in cp
            if any(
                other.regime.code == SMQ and other.entered == episode.exited
                for other in grouped[episode.organisation_id]
            )
        ]
        assert len({episode.organisation_id for episode in cp}) == 47
        assert len(escalated) == 18
        routed = [episode for episode in _of(episodes, SMQ) if episode.route == EpisodeRoute.ESCALATED_FROM_CP]
        assert len(routed) == 18
        assert {(e.organisation_id, e.entered) for e in routed} == {(e.organisation_id, e.exited) for e in escalated}

    def test_four_trusts_re_enter_smq(self, episodes):
        grouped = _by_organisation(_of(episodes, SMQ))
        re_entries = [later for items in grouped.values() for later in items[1:]]
        assert len(re_entries) == 4
        assert all(episode.route == EpisodeRoute.RE_ENTRY for episode in re_entries)
        assert sum(episode.route == EpisodeRoute.RE_ENTRY for episode in _of(episodes, SMQ)) == 4

    def test_62_trusts_were_in_smq_or_cp_by_2019_starting_with_11_keogh_trusts(self, episodes):
        smq_cp = _of(episodes, SMQ) + _of(episodes, CP)
        assert all(episode.entered <= date(2019, 12, 31) for episode in smq_cp)
        assert len({episode.organisation_id for episode in smq_cp}) == 62
        assert len({episode.organisation_id for episode in _of(episodes, SMQ)}) == 36
        assert sum(episode.entered == KEOGH_ENTRY for episode in smq_cp) == 11
        assert min(episode.entered for episode in _of(episodes, CP)) >= date(2015, 10, 1)
        kinds = Counter(organisation.kind for organisation in {episode.organisation for episode in smq_cp})
        assert kinds["acute"] >= 50 and kinds["ambulance"] == 3 and kinds["mental_health"] == 5

    def test_every_episode_passes_full_clean_and_no_trust_is_in_two_at_once(self, episodes):
        for episode in episodes:
            episode.full_clean()
        for items in _by_organisation(episodes).values():
            for earlier, later in zip(items, items[1:], strict=False):
                assert earlier.exited is not None and later.entered >= earlier.exited, (earlier, later)

    def test_smq_and_cp_end_in_june_2021_and_the_board_shows_the_open_nof4_episodes(self, episodes):
        assert max(episode.exited for episode in _of(episodes, SMQ) + _of(episodes, CP)) <= date(2021, 6, 30)
        open_episodes = [episode for episode in episodes if episode.exited is None]
        assert {episode.regime.code for episode in open_episodes} == {NOF4}
        assert 15 <= len(open_episodes) <= 25
        nof4 = _of(episodes, NOF4)
        assert 10 <= sum(episode.route == EpisodeRoute.DIRECT for episode in nof4) <= 15
        assert all(date(2021, 7, 1) <= episode.entered < END for episode in nof4)
        grouped = _by_organisation(episodes)
        transferred = [episode for episode in nof4 if episode.route == EpisodeRoute.TRANSFERRED]
        assert transferred
        for episode in transferred:
            assert episode.entered == date(2021, 7, 1)
            assert any(
                other.regime.code == SMQ and other.exited == date(2021, 6, 30)
                for other in grouped[episode.organisation_id]
            )

    # --- segments -----------------------------------------------------------------------------------

    def test_every_trust_has_a_quarterly_segment_history_without_gaps_or_overlaps(self, generated):
        grouped = _segments_by_organisation()
        assert len(grouped) == Organisation.objects.count()
        for rows in grouped.values():
            assert rows[0].effective_from == date(2021, 7, 1)
            assert rows[-1].effective_to is None
            for earlier, later in zip(rows, rows[1:], strict=False):
                assert earlier.effective_to == later.effective_from - timedelta(days=1)
                assert earlier.segment != later.segment
            for row in rows:
                assert row.effective_from.day == 1 and row.effective_from.month in (1, 4, 7, 10)
                assert row.synthetic and row.source == "synthetic"
        unpublished = SegmentAssignment.objects.filter(published=False)
        assert 0 < unpublished.count() <= 5
        assert all(row.effective_to is None and row.segment < 4 for row in unpublished)

    def test_open_nof4_trusts_are_in_segment_4_and_segment_4_means_nof4(self, episodes):
        grouped = _segments_by_organisation()
        nof4 = _by_organisation(_of(episodes, NOF4))
        for episode in _of(episodes, NOF4):
            rows = [
                row for row in grouped[episode.organisation_id] if (row.effective_to or date.max) >= episode.entered
            ]
            if episode.exited is not None:
                rows = [row for row in rows if row.effective_from < episode.exited]
            assert rows and rows[0].effective_from <= episode.entered
            assert {row.segment for row in rows} == {4}, episode
        for row in SegmentAssignment.objects.filter(segment=4):
            assert any(
                e.entered <= row.effective_from
                and (e.exited is None or (row.effective_to and row.effective_to < e.exited))
                for e in nof4[row.organisation_id]
            )
        current = Counter(SegmentAssignment.objects.filter(effective_to=None).values_list("segment", flat=True))
        assert current[2] > current[3] > current[1] > 0
        assert current[4] / sum(current.values()) < 0.2

    # --- labelling ----------------------------------------------------------------------------------

    def test_everything_generated_is_labelled_synthetic(self, generated):
        assert not Observation.objects.exclude(batch__synthetic=True).exists()
        assert set(ImportBatch.objects.values_list("synthetic", "format")) == {(True, "synthetic")}
        assert not RegimeEpisode.objects.filter(synthetic=False).exists()
        assert not SegmentAssignment.objects.filter(synthetic=False).exists()
        assert not QualityRating.objects.filter(synthetic=False).exists()
        flags = dict(Indicator.objects.values_list("code", "synthetic"))
        assert flags.pop(ED_4HR) is False
        assert len(flags) == 30 and all(flags.values())
        assert not Observation.objects.filter(indicator__code=ED_4HR).exists()

    # --- indicator series ---------------------------------------------------------------------------

    def test_numerators_never_exceed_denominators_and_values_are_their_ratio(self, generated):
        proportions = Observation.objects.filter(indicator__code__in=PROPORTIONS)
        assert proportions.count() > 50_000
        assert not proportions.filter(numerator__gt=F("denominator")).exists()
        assert not proportions.filter(numerator__lt=0).exists()
        assert not proportions.filter(denominator__lt=1).exists()
        numerators, denominators, values = np.array(proportions.values_list("numerator", "denominator", "value")).T
        assert np.allclose(values, numerators / denominators)

    @pytest.mark.parametrize(
        ("code", "year", "low", "high"),
        [
            ("rtt_18wk", 2019, 0.10, 0.20),
            ("rtt_18wk", 2024, 0.35, 0.45),
            ("cancer_62d", 2024, 0.25, 0.38),
            ("cancer_62d_skin", 2024, 0.10, 0.30),
            ("dtoc", 2019, 0.03, 0.05),
            ("emergency_caesarean", 2024, 0.14, 0.18),
            ("sickness_absence", 2024, 0.04, 0.055),
            ("vacancy_rate", 2024, 0.06, 0.10),
            ("consultants_share", 2024, 0.40, 0.50),
            ("nurses_share", 2024, 0.50, 0.60),
        ],
    )
    def test_national_levels_are_realistic(self, generated, code, year, low, high):
        assert low <= _national(code, year) <= high

    def test_delayed_transfers_stop_in_february_2020_and_ed_4hr_is_never_generated(self, generated):
        last = Observation.objects.filter(indicator__code="dtoc").order_by("-period").first()
        assert last.period == date(2020, 2, 1)

    def test_shmi_is_quarterly_with_published_style_limits_around_one(self, generated):
        shmi = Observation.objects.filter(indicator__code="shmi")
        assert shmi.exists()
        assert {period.month for period in shmi.values_list("period", flat=True)} <= {1, 4, 7, 10}
        assert not shmi.filter(lower__gte=1).exists()
        assert not shmi.filter(upper__lte=1).exists()
        rows = np.array(shmi.values_list("period", "numerator", "denominator"), dtype=object)
        for period in set(rows[:, 0]):
            observed, expected = rows[rows[:, 0] == period, 1:].astype(float).T
            assert abs(observed.sum() / expected.sum() - 1) < 0.001  # the national SHMI is 1 by construction
            assert 900 <= expected.min() and expected.max() <= 3300

    def test_regime_trusts_enter_with_worse_staff_survey_scores(self, episodes):
        survey = Observation.objects.filter(indicator__code="staff_survey_engagement")
        assert {period.month for period in survey.values_list("period", flat=True)} == {1}
        scores = {
            (org, period.year): value for org, period, value in survey.values_list("organisation", "period", "value")
        }
        means = defaultdict(list)
        for (_, year), value in scores.items():
            means[year].append(value)
        at_entry = [
            scores[episode.organisation_id, episode.entered.year] - np.mean(means[episode.entered.year])
            for episode in _of(episodes, NOF4)
            if episode.route == EpisodeRoute.DIRECT and (episode.organisation_id, episode.entered.year) in scores
        ]
        assert len(at_entry) >= 8
        assert np.mean(at_entry) < -0.1

    def test_financial_stability_is_a_score_from_1_to_4(self, generated):
        values = set(Observation.objects.filter(indicator__code="financial_stability").values_list("value", flat=True))
        assert values <= {1.0, 2.0, 3.0, 4.0} and len(values) >= 3

    # --- episode records ----------------------------------------------------------------------------

    def test_each_episode_has_a_stocktake_four_to_ten_exit_criteria_and_a_few_notes(self, episodes):
        assert DiagnosticStocktake.objects.count() == len(episodes)
        criteria = Counter(ExitCriterion.objects.values_list("episode", flat=True))
        notes = Counter(EpisodeNote.objects.values_list("episode", flat=True))
        for episode in episodes:
            assert 4 <= criteria[episode.pk] <= 10
            assert 1 <= notes[episode.pk] <= 3
        for note in EpisodeNote.objects.select_related("episode"):
            assert note.episode.entered <= note.created.date() <= (note.episode.exited or END)

    def test_exit_criteria_are_met_on_exit_mixed_while_open_and_two_changed_after_approval(self, generated):
        criteria = list(ExitCriterion.objects.select_related("episode__regime"))
        for criterion in criteria:
            if criterion.episode.exited is not None:
                assert criterion.status == CriterionStatus.MET and criterion.approved_at is not None
            if criterion.indicator_id:
                assert criterion.comparator and criterion.threshold is not None and criterion.months_sustained
            if criterion.theme == CriterionTheme.ICB_OWNERSHIP:
                assert criterion.episode.regime.code == NOF4
        open_statuses = {c.status for c in criteria if c.episode.exited is None}
        assert len(open_statuses) >= 3
        changed = [criterion for criterion in criteria if criterion.changes_since_approval()]
        assert len(changed) == 2
        assert all(criterion.episode.exited is None for criterion in changed)
        assert {criterion.theme for criterion in criteria} == set(CriterionTheme.values)

    def test_funding_follows_the_caps_and_the_table_28_spending_split(self, episodes):
        totals = defaultdict(float)
        spent = Counter()
        for line in SupportFunding.objects.all():
            totals[line.episode_id, line.year] += float(line.budget)
            spent[line.category] += float(line.spent)
        caps = {SMQ: 500_000, CP: 200_000}
        for episode in episodes:
            years = sorted(year for (episode_id, year) in totals if episode_id == episode.pk)
            assert years and years[0] == financial_year(episode.entered)
            if episode.regime.code in caps:
                assert totals[episode.pk, years[0]] <= caps[episode.regime.code]
            if episode.regime.code == SMQ and episode.exited < date(2021, 6, 30):
                assert totals[episode.pk, years[-1]] == 100_000  # support after exit
        share = {category: amount / sum(spent.values()) for category, amount in spent.items()}
        assert 0.30 < share[FundingCategory.CULTURAL_CHANGE_TRAINING] < 0.37
        assert share[FundingCategory.WORKFORCE_QUALITY_SAFETY] > share[FundingCategory.GOVERNANCE_ASSURANCE]

    def test_eight_improvement_directors_each_support_one_to_three_trusts_for_a_year_or_so(self, episodes):
        directors = get_user_model().objects.filter(username__startswith="id_")
        assert directors.count() == 8
        for director in directors:
            assert not director.has_usable_password()
            assert [group.name for group in director.groups.all()] == ["director"]
            assignments = list(director.id_assignments.all())
            assert assignments
            for assignment in assignments:
                active = [
                    other
                    for other in assignments
                    if other.date_from <= assignment.date_from and (other.date_to or date.max) >= assignment.date_from
                ]
                assert len(active) <= 3
                if assignment.date_to is not None:
                    assert assignment.date_to - assignment.date_from <= timedelta(days=18 * 31)
        grouped = _by_organisation(episodes)
        for assignment in ImprovementDirectorAssignment.objects.all():
            assert any(
                e.entered <= assignment.date_from and (e.exited is None or assignment.date_from <= e.exited)
                for e in grouped[assignment.organisation_id]
            )
        supported = set(
            ImprovementDirectorAssignment.objects.filter(date_to=None).values_list("organisation", flat=True)
        )
        assert supported == {episode.organisation_id for episode in episodes if episode.exited is None}

    def test_some_trusts_that_left_are_later_rated_good_and_others_are_not(self, episodes):
        ratings = defaultdict(list)
        for rating in QualityRating.objects.all():
            ratings[rating.organisation_id].append(rating)
        improvers, others = 0, 0
        for org, items in _by_organisation(episodes).items():
            final_exit = items[-1].exited
            if final_exit is None:
                continue
            later = [rating.rating for rating in ratings[org] if rating.rated_on > final_exit]
            improvers += any(rating in ("good", "outstanding") for rating in later)
            others += any(rating in ("requires_improvement", "inadequate") for rating in later)
        assert improvers >= 5 and others >= 5


# --- determinism, idempotence, real records -----------------------------------------------------


def _observation_checksum() -> str:
    digest = hashlib.sha256()
    rows = Observation.objects.order_by("organisation__ods_code", "indicator__code", "period").values_list(
        "organisation__ods_code", "indicator__code", "period", "numerator", "denominator", "value", "lower", "upper"
    )
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _episode_signature() -> list[tuple]:
    return list(
        RegimeEpisode.objects.order_by("organisation__ods_code", "entered").values_list(
            "organisation__ods_code", "regime__code", "entered", "exited", "route", "reason"
        )
    )


def _counts() -> dict[str, int]:
    models = [
        Organisation,
        RegimeEpisode,
        DiagnosticStocktake,
        ExitCriterion,
        SupportFunding,
        EpisodeNote,
        SegmentAssignment,
        ImprovementDirectorAssignment,
        QualityRating,
        Observation,
        ImportBatch,
        Indicator,
        get_user_model(),
    ]
    counts = {model.__name__: model.objects.count() for model in models}
    for model in models[1:8]:
        counts[f"history of {model.__name__}"] = model.history.model.objects.count()
    return counts


def test_the_same_seed_gives_the_same_data_and_a_rerun_replaces_the_set_leaving_real_records(make_org, regimes, alice):
    from indicators.models import ImportBatch as Batch

    trusts = [make_org(f"R{number:02d}", kind="acute") for number in range(72)]
    real_episode = RegimeEpisode.objects.create(organisation=trusts[0], regime=regimes[SMQ], entered=date(2016, 3, 1))
    real_segment = SegmentAssignment.objects.create(organisation=trusts[1], segment=2, effective_from=date(2022, 4, 1))
    ed_4hr = Indicator.objects.create(code=ED_4HR, name="ED 4 hours", kind="proportion", cadence="monthly")
    real_batch = Batch.objects.create(file_name="ae.csv", sha256="0" * 64, format="ae_monthly")
    real_value = Observation.objects.create(
        organisation=trusts[2],
        indicator=ed_4hr,
        period=date(2024, 7, 1),
        numerator=10,
        denominator=100,
        batch=real_batch,
    )

    demo_data_generate(seed=1, start=date(2025, 1, 1), end=END)
    first = (_observation_checksum(), _episode_signature(), _counts())
    demo_data_generate(seed=1, start=date(2025, 1, 1), end=END)
    assert (_observation_checksum(), _episode_signature(), _counts()) == first
    demo_data_generate(seed=2, start=date(2025, 1, 1), end=END)
    assert _observation_checksum() != first[0]
    assert _episode_signature() != first[1]

    assert RegimeEpisode.objects.filter(pk=real_episode.pk, synthetic=False).exists()
    assert not RegimeEpisode.objects.filter(organisation=trusts[0], synthetic=True).exists()
    assert list(SegmentAssignment.objects.filter(organisation=trusts[1])) == [real_segment]
    assert Observation.objects.get(pk=real_value.pk).batch == real_batch
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    assert Indicator.objects.get(code=ED_4HR).synthetic is False


def test_it_creates_placeholder_trusts_when_there_are_none(db):
    summary = demo_data_generate(seed=3, start=date(2025, 1, 1), end=END)
    assert summary.organisations_created == Organisation.objects.count() == 150
    placeholder = Organisation.objects.get(ods_code="ZZ001")
    assert placeholder.name == "Synthetic trust 001" and not placeholder.verified and placeholder.kind == "acute"
    assert summary.observations == Observation.objects.count() > 0


def test_it_refuses_an_end_before_there_is_room_for_nof4_episodes(db):
    with pytest.raises(ValueError, match="2022-07-01"):
        demo_data_generate(seed=1, end=date(2021, 12, 1))


def test_it_writes_nothing_when_there_are_too_few_trusts(make_org):
    for number in range(10):
        make_org(f"R{number:02d}")
    with pytest.raises(ValueError, match="not enough organisations"):
        demo_data_generate(seed=1, start=date(2025, 1, 1), end=END)
    assert not Indicator.objects.exists()
    assert not RegimeEpisode.objects.exists()


def test_the_command_prints_a_summary_on_two_lines(make_org):
    for number in range(80):
        make_org(f"R{number:02d}")
    out = StringIO()
    call_command("generate_demo_data", "--seed", "5", "--start", "2025-01-01", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("synthetic demo data (seed 5): 80 organisations")
    assert "observations" in lines[1]
    with pytest.raises(CommandError):
        call_command("generate_demo_data", "--end", "2020-01-01", stdout=StringIO())


# --- the plain codes of the pure plan ---------------------------------------------------------


def test_the_plans_plain_codes_are_the_ones_trusts_stores():
    from indicators.stats import simulation_plan

    assert (simulation_plan.SMQ, simulation_plan.CP, simulation_plan.NOF4) == (SMQ, CP, NOF4)
    routes = (simulation_plan.DIRECT, simulation_plan.ESCALATED_FROM_CP, simulation_plan.TRANSFERRED)
    assert routes == (EpisodeRoute.DIRECT, EpisodeRoute.ESCALATED_FROM_CP, EpisodeRoute.TRANSFERRED)
    assert simulation_plan.RE_ENTRY == EpisodeRoute.RE_ENTRY
