"""Phone number spellings a CRM may have stored for one E.164 number (exact-match search is fragile)."""

from __future__ import annotations

import phonenumbers


def lookup_variants(e164: str) -> list[str]:
    """E.164 first, then national digits, national format and international format (deduplicated)."""
    variants = [e164]
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return variants
    national_digits = phonenumbers.national_significant_number(number)
    for candidate in (
        national_digits,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        e164.lstrip("+"),
    ):
        if candidate and candidate not in variants:
            variants.append(candidate)
    return variants
