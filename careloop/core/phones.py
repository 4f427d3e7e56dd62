"""Phone numbers: normalised to E.164 with phonenumbers (CN default), masked for display."""

import phonenumbers

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'138 1234 5678' / '+86-138-1234-5678' -> '+8613812345678'; '' stays ''."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(phone: str) -> str:
    """'+8613812345678' -> '13812345678' (what Chinese users read and dial)."""
    if phone.startswith("+86"):
        return phone[3:]
    return phone


def phone_tail(phone: str) -> str:
    return phone[-4:] if phone else ""


def mask_phone(phone: str) -> str:
    """'+8613812345678' -> '138****5678'; short numbers keep only the last 2 digits."""
    digits = national(phone)
    if not digits:
        return ""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}{'*' * (len(digits) - 6)}{digits[-4:]}"
    return "*" * (len(digits) - 2) + digits[-2:]
