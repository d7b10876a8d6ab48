"""Mainland China mobile numbers as people type them, and as a registration keeps them.

A number arrives as "138 0000 1234", "138-0000-1234", "+86 138 0000 1234", "0086…" or in
full-width digits from a Chinese keyboard; it is kept as its 11 digits, which is what
identifies a person's registration for a seminar (see services.register_attendee).
"""
import re
import unicodedata

from sqlalchemy import func

# Spaces, dots, brackets and every dash people type between digit groups.
_SEPARATORS = re.compile(r"[\s.()\-‐‑‒–—―]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def china_mobile(value: str | None) -> str | None:
    """The 11 digits of a mainland China mobile number, or None if `value` is not one."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    return text if _MOBILE.fullmatch(text) else None


def normalised(value: str | None) -> str:
    """A mobile number as its 11 digits; any other phone number (a landline at the desk) as typed."""
    return china_mobile(value) or (value or "").strip()


def grouped(phone: str | None) -> str:
    """A mobile number shown as people read it, 138 0000 1234; anything else as it is."""
    digits = china_mobile(phone)
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}" if digits else (phone or "")


def same_mobile(column, digits: str):
    """SQL: the phone in `column` is the mobile number `digits`, also as typed before numbers were
    kept as digits (with spaces, dashes or +86)."""
    bare = func.replace(func.replace(func.replace(column, " ", ""), "-", ""), "+86", "")
    return bare == digits
