"""Organisation names in the NHS's own casing, and an organisation's sector from its ODS code.

Registers spell names in capitals ("ROYAL SURREY NHS FOUNDATION TRUST"); people read
"Royal Surrey NHS Foundation Trust". The source spelling is kept (`Organisation.name_source`);
this module makes the shown one. A name that already has lower-case letters was written by a
person and is kept as it is.
"""

from __future__ import annotations

import re

from .constants import OrganisationKind, Sector

# Words kept in capitals: initialisms used in NHS and provider names.
INITIALISMS = frozenset(
    {
        "NHS", "ICB", "ICS", "CCG", "PCT", "CSU", "UK", "GP", "GPS", "CIC", "LLP", "BMI", "HCA", "BPAS", "ENT",
        "UCC", "WIC", "OOH", "IOW", "HQ", "II", "III", "IV", "VI", "PPG", "CHP", "NEL", "SWL", "NW", "NE",
        "SE", "SW", "MSK", "IAPT", "LTC", "DMC", "PHL", "BUPA", "ISTC", "UKSH", "UTC", "DHU", "WAM", "SDEC", "MIU",
        "UCS", "PCN",
    }
)  # fmt: skip
# Vowel-less words that are words, not initialisms.
NOT_INITIALISMS = frozenset({"ST", "LTD", "MR", "MRS", "DR", "MS"})
# Small words written in lower case except at the start of a name (or of a hyphenated part).
SMALL_WORDS = frozenset({"and", "of", "the", "for", "in", "on", "at", "upon", "by", "with", "under", "super", "le"})
SPECIAL = {"LTD": "Ltd", "PLC": "plc", "LIMITED": "Limited"}
_WORD_RE = re.compile(r"^([^A-Za-z0-9]*)(.*?)([^A-Za-z0-9']*)$")


def _case_part(part: str, *, first: bool) -> str:
    """One hyphen-free word: initialism, small word, Mc/Mac-less capitalised word."""
    if not part:
        return part
    upper = part.upper()
    if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", upper):  # "C.I.C", "U.K."
        return upper
    if upper in INITIALISMS or (
        len(upper) >= 2 and upper.isalpha() and not re.search(r"[AEIOUY]", upper) and upper not in NOT_INITIALISMS
    ):
        return upper
    if upper in SPECIAL:
        return SPECIAL[upper]
    lower = part.lower()
    if not first and lower in SMALL_WORDS:
        return lower
    if lower[0].isdigit() and lower[1:].isalpha() and len(lower) > 3:  # "2GETHER" is "2gether"
        return lower
    if any(character.isdigit() for character in part):  # codes such as "QE1" or "8J094" keep their capitals
        return upper
    if upper.startswith("MC") and len(upper) > 3 and upper[2].isalpha():
        return "Mc" + upper[2:].capitalize()
    # "GUY'S" → "Guy's", "THOMAS'" → "Thomas'": capitalise the first letter only.
    return lower[0].upper() + lower[1:]


def nhs_name(text: str, code: str = "") -> str:
    """The name as the NHS writes it: 'ROYAL SURREY NHS FOUNDATION TRUST' → 'Royal Surrey NHS Foundation Trust'.

    A name that is the organisation's own ODS code (a placeholder until a register names it) stays as it is.
    """
    text = " ".join((text or "").split())
    if not text or any(character.islower() for character in text) or (code and text.upper() == code.upper()):
        return text
    words = []
    for index, word in enumerate(text.split(" ")):
        lead, core, trail = _WORD_RE.match(word).groups()
        # Hyphens, slashes and brackets inside a word ("OOH(WAM)", "WALK-IN") split it into parts.
        parts = re.split(r"([-/()])", core)
        cased = "".join(
            part
            if part in "-/()"
            else _case_part(part, first=(index == 0 and position == 0) or (position == 0 and lead == "("))
            for position, part in enumerate(parts)
        )
        # "STOKE-ON-TRENT": the first part of a hyphenated place keeps its capital.
        words.append(f"{lead}{cased}{trail}")
    return " ".join(words)


TRUST_CODE_RE = re.compile(r"^[RT][A-Z0-9]{2}$")
ICB_CODE_RE = re.compile(r"^Q[A-Z0-9]{2}$")


def sector_from_code(code: str, *, kind: str = "", in_trust_register: bool = False) -> str:
    """NHS trust, ICB or other provider from what the registers say and the ODS code's shape.

    ODS gives NHS trusts three-character codes starting R or T and ICBs three-character codes
    starting Q; independent-sector providers (8…, N…), walk-in centres and the like have other
    shapes. A code listed in a trust register is a trust whatever its shape (new trusts get
    five-character codes, e.g. G6V2S).
    """
    code = (code or "").strip().upper()
    if kind == OrganisationKind.ICB or ICB_CODE_RE.match(code):
        return Sector.ICB
    if in_trust_register or TRUST_CODE_RE.match(code):
        return Sector.NHS_TRUST
    return Sector.OTHER
