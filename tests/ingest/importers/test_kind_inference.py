"""When a register does not give a kind, the name suggests one; `other` when it does not say."""

import pytest

from ingest.importers import infer_kind

pytestmark = []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("EAST MIDLANDS AMBULANCE SERVICE NHS TRUST", "ambulance"),
        ("WEST MIDLANDS AMBULANCE SERVICE UNIVERSITY NHS FOUNDATION TRUST", "ambulance"),
        ("BIRMINGHAM AND SOLIHULL MENTAL HEALTH NHS FOUNDATION TRUST", "mental_health"),
        ("SUSSEX PARTNERSHIP NHS FOUNDATION TRUST", "mental_health"),
        ("GLOUCESTERSHIRE HEALTH AND CARE NHS FOUNDATION TRUST", "mental_health_community"),
        ("MERSEY CARE NHS FOUNDATION TRUST", "mental_health_community"),
        ("KENT COMMUNITY HEALTH NHS FOUNDATION TRUST", "community"),
        ("GLOUCESTERSHIRE CARE SERVICES NHS TRUST", "community"),
        ("NORTH CUMBRIA INTEGRATED CARE NHS FOUNDATION TRUST", "acute_community"),
        ("NORTHERN CARE ALLIANCE NHS FOUNDATION TRUST", "acute"),
        ("BARNSLEY HOSPITAL NHS FOUNDATION TRUST", "acute"),
        ("UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST", "acute"),
        ("SOUTH WARWICKSHIRE UNIVERSITY NHS FOUNDATION TRUST", "acute"),
        ("ALDER HEY CHILDREN'S NHS FOUNDATION TRUST", "acute"),
        ("NHS NORTH EAST LONDON INTEGRATED CARE BOARD", "icb"),
        ("ASSURA VERTIS URGENT CARE CENTRES (BIRMINGHAM)", "other"),
        ("BARTS HEALTH NHS TRUST", "other"),
    ],
)
def test_it_guesses_the_kind_from_the_name(name, kind):
    assert infer_kind(name) == kind
