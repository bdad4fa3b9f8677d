"""Text normalization: every string the system stores is Unicode NFC."""

import unicodedata


def nfc(value: str) -> str:
    """Return ``value`` in Unicode normalization form C (composed), trimmed of NUL."""
    return unicodedata.normalize("NFC", value).replace("\x00", "")
