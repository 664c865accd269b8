"""The registry of file formats: one entry per published format, and the one place that lists them.

Each entry names the format (the ImportFormat value a batch records, with its label), how a file is
told to be one (the header columns of each of its layouts, or a look at the rows for a headerless
extract), how it is read (an xlsx workbook, a CSV streamed line by line, or a CSV read whole) and the
importer that loads it. The upload page's choices, `detect_format`, `import_file` and the import
commands all read this registry, so a format added here is offered, detected and imported everywhere:

    entry = get_format("rtt")          # UnknownFormat (a ValueError) names the choices for a typo
    entry.label, entry.reads           # "RTT incomplete pathways by provider", "CSV, streamed"
    upload_choices()                   # [(name, label), …] in the order ImportFormat lists them
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indicators.constants import ImportFormat

from .importers.ae import import_ae_attendances, import_ae_monthly
from .importers.cqc import import_cqc_ratings
from .importers.episodes import import_episodes
from .importers.indicators_catalogue import import_indicators
from .importers.observations import import_observations
from .importers.organisations import import_etr, import_organisations, import_successors, register_variant
from .importers.reading import ErrorList, canonical, csv_records, decode
from .importers.segments import import_nof_segments
from .importers.shmi import import_shmi
from .importers.staff_survey import import_staff_survey
from .importers.waits import import_cancer, import_rtt

_HEAD_BYTES = 64 * 1024
_XLSX_MAGIC = b"PK\x03\x04"  # a zip archive: an xlsx workbook


class UnknownFormat(ValueError):
    """A format name the registry does not hold; the message lists the ones it does."""


@dataclass(frozen=True)
class FileFormat:
    """One registered format: `headers` holds the columns (canonical names) that identify each of its layouts;
    `sniff` tells a headerless file from its text. The importer's `binary` and `streaming` marks say how
    run_import reads the file."""

    name: str
    importer: Callable
    headers: tuple[frozenset[str], ...] = ()
    sniff: Callable[[str], bool] | None = None
    uploadable: bool = True

    @property
    def label(self) -> str:
        return ImportFormat(self.name).label

    @property
    def binary(self) -> bool:
        return getattr(self.importer, "binary", False)

    @property
    def reads(self) -> str:
        if self.binary:
            return "xlsx workbook"
        return "CSV, streamed" if getattr(self.importer, "streaming", False) else "CSV"


FORMATS: dict[str, FileFormat] = {}


def register(fmt: ImportFormat, importer: Callable, *layouts: set[str], sniff=None, uploadable: bool = True) -> None:
    """Add a format; detection tries the formats in the order they were registered (most specific first)."""
    name = ImportFormat(fmt).value
    if name in FORMATS:
        raise ValueError(f"format {name!r} is registered twice")
    FORMATS[name] = FileFormat(name, importer, tuple(frozenset(layout) for layout in layouts), sniff, uploadable)


# Most specific header first: a league table also has org_code, which alone would say "organisations".
register(ImportFormat.NOF_SEGMENTS, import_nof_segments, {"org_code", "league_segment", "league_avg_score"})
register(ImportFormat.AE_MONTHLY, import_ae_monthly, {"period", "org code", "parent org"})
register(ImportFormat.AE_ATTENDANCES, import_ae_attendances, {"period", "org_code", "type", "attendances", "breaches"})
register(ImportFormat.ODS_SUCCESSORS, import_successors, {"predecessor_code", "successor_code", "effective"})
register(
    ImportFormat.SHMI,
    import_shmi,
    {"provider_code", "shmi_value", "od_ul"},  # NHS Digital's current layout
    {"provider", "observed", "expected", "od_ul"},  # HSCIC's 2011–2014 layout
)
register(ImportFormat.RTT, import_rtt, {"org_code", "level", "month", "pct18_within_target", "pct18_total"})
register(ImportFormat.CANCER, import_cancer, {"org_code", "level", "standard", "month", "within_target", "total"})
register(
    ImportFormat.CQC_RATINGS,
    import_cqc_ratings,
    {"org_code", "date", "population", "question", "rating_score"},  # dated ratings by core service
    {"trust_code", "cqc_overall", "cqc_latest_pub"},  # the latest publication per trust
)
register(
    ImportFormat.EPISODES,
    import_episodes,
    {"org_code", "regime", "entered"},
    {"provider_code", "regime", "entered_date"},
)
register(ImportFormat.OBSERVATIONS, import_observations, {"org_code", "period", "indicator"})
register(ImportFormat.INDICATORS, import_indicators, {"code", "name", "cadence"})
register(ImportFormat.ORGANISATIONS, import_organisations, {"org_code", "name"})  # also the 2021 trust list
register(ImportFormat.ODS_ETR, import_etr, sniff=lambda text: register_variant(text) == "ods_etr")  # no header row
register(ImportFormat.STAFF_SURVEY, import_staff_survey)  # the only workbook: told by being one


def get_format(name: str) -> FileFormat:
    """The registered format called `name`, or UnknownFormat naming the ones there are."""
    try:
        return FORMATS[ImportFormat(name).value]
    except (KeyError, ValueError):
        raise UnknownFormat(f"cannot import format {name!r}; choose one of {', '.join(FORMATS)}") from None


def upload_choices() -> list[tuple[str, str]]:
    """(name, label) of every format the upload page offers, in ImportFormat's order."""
    return [(value, label) for value, label in ImportFormat.choices if value in FORMATS and FORMATS[value].uploadable]


def detect_format(path_or_fileobj) -> str | None:
    """The format a file looks like from its first row (or being a workbook), or None when it is none of them.

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
    if head.startswith(_XLSX_MAGIC):
        return next((entry.name for entry in FORMATS.values() if entry.binary), None)
    text = decode(head)
    first = next(csv_records(text, ErrorList()), None)
    if first is None:
        return None
    header = {canonical(cell) for cell in first[1]}
    for entry in FORMATS.values():
        if any(layout <= header for layout in entry.headers):
            return entry.name
    return next((entry.name for entry in FORMATS.values() if entry.sniff and entry.sniff(text)), None)
