"""Vietnamese mobile numbers: old 11-digit prefixes, validation and carrier hint (phonenumbers)."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

# The 2018 conversion from 11 to 10 digits; the last 7 digits were kept (PEERS.md §4.2).
OLD_PREFIXES = {
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
    "0167": "037", "0168": "038", "0169": "039",
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip


@dataclass(frozen=True)
class Phone:
    national: str  # 10 digits, leading 0
    carrier: str  # carrier hint from the prefix; number portability makes it only a hint


def normalise_phone(text: str) -> Phone | None:
    """A valid Vietnamese mobile number in any usual spelling, or None.

    phonenumbers reads spaces, dots, dashes, brackets, +84 and 84 itself; only the old 11-digit
    01xx prefixes (retired in 2018) are mapped first, since the library no longer knows them.
    """
    try:
        number = phonenumbers.parse(text or "", "VN")
    except phonenumbers.NumberParseException:
        return None
    national = str(number.national_number)
    if len(national) == 10 and f"0{national[:3]}" in OLD_PREFIXES:
        number = phonenumbers.parse(OLD_PREFIXES[f"0{national[:3]}"] + national[3:], "VN")
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return Phone(national=f"0{number.national_number}", carrier=carrier.name_for_number(number, "en"))
