"""The indicator catalogue: `code,name,kind,cadence,polarity` plus optional `unit,description,pre_window_months`,
`analysis_cadence` (blank: the cadence), `target` (the national standard, e.g. 0.05) and `applies_to`
(the organisation kinds it applies to, separated by `;`; blank: every kind)."""

import re

from indicators.constants import Cadence, IndicatorKind, Polarity
from indicators.models import Indicator, Observation
from trusts.constants import OrganisationKind

from .base import BULK_BATCH_SIZE, ImportContext, KeyRegister
from .reading import choice_parser, parse_number, read_table

REQUIRED = ["code", "name", "kind", "cadence", "polarity"]
OPTIONAL = ["unit", "description", "pre_window_months", "analysis_cadence", "target", "applies_to"]
_CADENCE_ORDER = {Cadence.MONTHLY: 0, Cadence.QUARTERLY: 1, Cadence.ANNUAL: 2}
_SLUG_RE = re.compile(r"^[a-z0-9_-]+$")
MAX_PRE_WINDOW_MONTHS = 120


def _limit(field: str):
    max_length = Indicator._meta.get_field(field).max_length

    def parse(text: str) -> str:
        if len(text) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return text

    return parse


def parse_indicator_code(text: str) -> str:
    code = text.strip().lower()
    if not _SLUG_RE.match(code):
        raise ValueError("not an indicator code (letters, digits, _ and -, such as ed_4hr)")
    return _limit("code")(code)


def _parse_months(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_PRE_WINDOW_MONTHS:
        raise ValueError(f"not a whole number of months from 1 to {MAX_PRE_WINDOW_MONTHS}")
    return int(text)


def _parse_kinds(text: str) -> list[str]:
    """Organisation kinds separated by `;`, `,` or `|` (values or labels of OrganisationKind), as a sorted list."""
    parse = choice_parser(OrganisationKind.choices)
    kinds = set()
    for part in re.split(r"[;,|]", text):
        if part.strip():
            kinds.add(parse(part))
    return sorted(kinds)


def _parse_target(text: str) -> float:
    return parse_number(text)


def import_indicators(text: str, context: ImportContext) -> None:
    table = read_table(text, context.errors, required=REQUIRED, optional=OPTIONAL)
    if table is None:
        return
    parsers = {
        "kind": choice_parser(IndicatorKind.choices),
        "cadence": choice_parser(Cadence.choices),
        "polarity": choice_parser(Polarity.choices),
    }
    stored = {indicator.code: indicator for indicator in Indicator.objects.all()}
    keys = KeyRegister("code")
    creating, updating = [], []
    changed: set[str] = set()  # the fields some row changes: the columns of the row dict below
    for _, cells in context.read(table.rows):
        code = cells.get("code", parse_indicator_code)
        fields = {
            "name": cells.get("name", _limit("name")),
            **{column: cells.get(column, parse) for column, parse in parsers.items()},
            # Optional columns: a blank cell keeps what is held.
            "unit": cells.get("unit", _limit("unit"), required=False),
            "description": cells.get("description", required=False),
            "pre_window_months": cells.get("pre_window_months", _parse_months, required=False),
            "analysis_cadence": cells.get("analysis_cadence", parsers["cadence"], required=False),
            "target": cells.get("target", _parse_target, required=False),
            "applies_to": cells.get("applies_to", _parse_kinds, required=False),
        }
        cadence, analysis = fields["cadence"], fields["analysis_cadence"]
        if cadence and analysis and _CADENCE_ORDER[Cadence(analysis)] < _CADENCE_ORDER[Cadence(cadence)]:
            cells.error("analysis_cadence", f"cannot analyse a {cadence} indicator more often than it is reported")
        if cadence and table.has("analysis_cadence") and analysis is None:
            fields["analysis_cadence"] = cadence  # the column given but blank: the cadence itself
        if not cells.ok or not keys.claim(cells, (code,), "code"):
            continue
        indicator = stored.get(code)
        if indicator is None:
            if fields["analysis_cadence"] is None:
                fields["analysis_cadence"] = fields["cadence"]
            creating.append(
                Indicator(code=code, **{name: value for name, value in fields.items() if value is not None})
            )
            continue
        for name in ("kind", "cadence"):
            if fields[name] != getattr(indicator, name):
                held = Observation.objects.filter(indicator=indicator).count()
                if held:
                    cells.error(
                        name,
                        f"{code} is {getattr(indicator, name)} and has {held} observations stored: "
                        f"changing its {name} would misread them",
                    )
        changes = {
            name: value for name, value in fields.items() if value is not None and getattr(indicator, name) != value
        }
        if changes and cells.ok:
            for name, value in changes.items():
                setattr(indicator, name, value)
            updating.append(indicator)
            changed.update(changes)
    context.refuse_if_errors()
    Indicator.objects.bulk_create(creating, batch_size=BULK_BATCH_SIZE)
    if updating:
        Indicator.objects.bulk_update(updating, sorted(changed))
    context.summary.created += len(creating)
    context.summary.updated += len(updating)
