"""CCCD (số định danh cá nhân) structure checks and name comparison.

Structure `PPP G YY NNNNNN` (Điều 4 TT 59/2021/TT-BCA; DOMAIN.md §6.1): province code, a digit
for century and gender, the last two digits of the birth year, six random digits. There is no
checksum, so a well-formed number is not proof that it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from core.formatting import vietnam_today
from core.rules import load_yaml, loaded_once
from core.text import fold_words

CCCD_PATTERN = re.compile(r"^\d{12}$")


@loaded_once  # loaded again when a rules file changes
def province_codes() -> dict[str, str]:
    return {str(code): name for code, name in load_yaml("provinces.yaml")["provinces"].items()}


@dataclass(frozen=True)
class CccdCheck:
    """Result of a structure check; `problem` is None when the number is well formed."""

    problem: str | None
    province: str | None = None
    birth_year: int | None = None
    gender: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_cccd(number: str, birth_year: int | None = None) -> CccdCheck:
    """Check a CCCD's structure; with `birth_year`, also that digits 4–6 agree with it.

    Problems: not_12_digits, old_cmnd (9 digits), unknown_province, birth_year_mismatch.
    """
    digits = re.sub(r"[\s.\-]", "", number or "")
    if re.fullmatch(r"\d{9}", digits):
        return CccdCheck("old_cmnd")
    if not CCCD_PATTERN.match(digits):
        return CccdCheck("not_12_digits")
    province = province_codes().get(digits[:3])
    if province is None:
        return CccdCheck("unknown_province")
    century_gender = int(digits[3])
    year = (century_gender // 2 + 19) * 100 + int(digits[4:6])
    gender = "F" if century_gender % 2 else "M"
    if birth_year is not None and birth_year != year:
        return CccdCheck("birth_year_mismatch", province, year, gender)
    return CccdCheck(None, province, year, gender)


_DATE_PATTERNS = (
    re.compile(r"(?<![\d/.\-])(?P<d>\d{1,2})\s*([/.\-])\s*(?P<m>\d{1,2})\s*\2\s*(?P<y>\d{4}|\d{2})(?![\d/.\-]*\d)"),
    re.compile(r"(?<![\d/.\-])(?P<d>\d{1,2}) (?P<m>\d{1,2}) (?P<y>\d{4})(?!\d)"),
    re.compile(r"(?<![\d/.\-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/.\-]*\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\s*thang\s*(?P<m>\d{1,2})\s*(?:nam\s*)?(?P<y>\d{4})(?!\d)"),
)


def parse_birth_date(text: str, today: date | None = None) -> date | None:
    """'12/3/1941', '12-03-1941', '1941-03-12', 'ngày 12 tháng 3 năm 1941', also inside a sentence
    ("sai rồi, đúng là 01-01-1979") and with a two-digit year ('12/3/41': 19xx unless it is this
    century's past) -> date; None when there is no date or more than one."""
    today = today or vietnam_today()
    folded = fold_words(text).strip(" .")
    found = [match for pattern in _DATE_PATTERNS for match in pattern.finditer(folded)]
    if len({match.group(0) for match in found}) != 1:
        return None
    match = found[0]
    year = int(match["y"])
    if len(match["y"]) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    try:
        born = date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= today else None
