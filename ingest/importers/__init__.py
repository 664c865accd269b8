"""Importers: every supported file becomes one ImportBatch, loaded all or nothing.

    summary = import_file(ImportFormat.AE_MONTHLY, "msitae-2025-05.csv", user=request.user)
    print(summary)  # read 201, created 122, updated 0, skipped 79; organisations created …

A refused file raises ImportRefused; its `.errors` name the row, column, value and reason of
each problem, and its `.batch` is the failed ImportBatch kept in the import history.
"""

from pathlib import Path

from ..constants import ImportFormat
from .ae import import_ae_attendances, import_ae_monthly
from .base import ImportContext, ImportRefused, ImportSummary, run_import
from .cqc import import_cqc_ratings
from .episodes import import_episodes
from .indicators_catalogue import import_indicators
from .observations import import_observations
from .organisations import import_etr, import_organisations, import_successors, infer_kind, register_variant
from .reading import ErrorList, RowError, canonical, csv_records, decode
from .segments import import_nof_segments
from .shmi import import_shmi
from .staff_survey import import_staff_survey
from .waits import import_cancer, import_rtt

__all__ = [
    "IMPORTERS",
    "ImportContext",
    "ImportRefused",
    "ImportSummary",
    "RowError",
    "detect_format",
    "import_file",
    "infer_kind",
]

IMPORTERS = {
    ImportFormat.ORGANISATIONS: import_organisations,
    ImportFormat.ODS_ETR: import_etr,
    ImportFormat.ODS_SUCCESSORS: import_successors,
    ImportFormat.INDICATORS: import_indicators,
    ImportFormat.OBSERVATIONS: import_observations,
    ImportFormat.EPISODES: import_episodes,
    ImportFormat.AE_MONTHLY: import_ae_monthly,
    ImportFormat.AE_ATTENDANCES: import_ae_attendances,
    ImportFormat.NOF_SEGMENTS: import_nof_segments,
    ImportFormat.SHMI: import_shmi,
    ImportFormat.RTT: import_rtt,
    ImportFormat.CANCER: import_cancer,
    ImportFormat.STAFF_SURVEY: import_staff_survey,
    ImportFormat.CQC_RATINGS: import_cqc_ratings,
}

# Header columns that identify each format, most specific first.
_SIGNATURES = [
    (ImportFormat.NOF_SEGMENTS, {"org_code", "league_segment", "league_avg_score"}),
    (ImportFormat.AE_MONTHLY, {"period", "org code", "parent org"}),
    (ImportFormat.AE_ATTENDANCES, {"period", "org_code", "type", "attendances", "breaches"}),
    (ImportFormat.ODS_SUCCESSORS, {"predecessor_code", "successor_code", "effective"}),
    (ImportFormat.SHMI, {"provider_code", "shmi_value", "od_ul"}),
    (ImportFormat.SHMI, {"provider", "observed", "expected", "od_ul"}),
    (ImportFormat.RTT, {"org_code", "level", "month", "pct18_within_target", "pct18_total"}),
    (ImportFormat.CANCER, {"org_code", "level", "standard", "month", "within_target", "total"}),
    (ImportFormat.CQC_RATINGS, {"org_code", "date", "population", "question", "rating_score"}),
    (ImportFormat.CQC_RATINGS, {"trust_code", "cqc_overall", "cqc_latest_pub"}),
    (ImportFormat.EPISODES, {"org_code", "regime", "entered"}),
    (ImportFormat.EPISODES, {"provider_code", "regime", "entered_date"}),
    (ImportFormat.OBSERVATIONS, {"org_code", "period", "indicator"}),
    (ImportFormat.INDICATORS, {"code", "name", "cadence"}),
    (ImportFormat.ORGANISATIONS, {"org_code", "name"}),
]
_HEAD_BYTES = 64 * 1024


def import_file(
    fmt: str,
    path_or_fileobj,
    *,
    user=None,
    file_name: str | None = None,
    synthetic: bool = False,
    progress: bool = False,
    batch=None,
) -> ImportSummary:
    """Import one file of format `fmt` (an ImportFormat value) from a path or a (binary or text) file object.

    `batch` is an ImportBatch created beforehand (an upload queued for its task) to run the import as.

    `organisations` also accepts the ODS etr extract and the 2021 trust list, told apart by the
    first row. `progress` shows a progress bar on stderr for large files when it is a terminal.
    Raises ImportRefused, having written nothing but the failed batch, when the file has errors.
    """
    try:
        importer = IMPORTERS[ImportFormat(fmt)]
    except (KeyError, ValueError):
        raise ValueError(f"cannot import format {fmt!r}; choose one of {', '.join(IMPORTERS)}") from None
    return run_import(
        ImportFormat(fmt).value,
        path_or_fileobj,
        importer,
        user=user,
        file_name=file_name,
        synthetic=synthetic,
        progress=progress,
        batch=batch,
    )


def detect_format(path_or_fileobj) -> str | None:
    """The ImportFormat value a file looks like from its first row, or None when it is none of them.

    The 2021 trust list is reported as `organisations`, the format that imports it.
    """
    if isinstance(path_or_fileobj, str | Path):
        with open(path_or_fileobj, "rb") as file:
            head = file.read(_HEAD_BYTES)
    else:
        upload = path_or_fileobj
        position = upload.tell()
        upload.seek(0)
        head = upload.read(_HEAD_BYTES)
        upload.seek(position)  # the import that follows reads the file from its start anyway
        if isinstance(head, str):
            head = head.encode("utf-8")
    if head.startswith(b"PK\x03\x04"):
        return ImportFormat.STAFF_SURVEY.value  # an xlsx workbook: the only one the product reads
    text = decode(head)
    first = next(csv_records(text, ErrorList()), None)
    if first is None:
        return None
    header = {canonical(cell) for cell in first[1]}
    for fmt, columns in _SIGNATURES:
        if columns <= header:
            return fmt.value
    if register_variant(text) == "ods_etr":
        return ImportFormat.ODS_ETR.value
    return None
