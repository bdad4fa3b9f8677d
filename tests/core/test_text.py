"""Text is stored in Unicode NFC."""

import unicodedata

from core.text import nfc


def test_decomposed_vietnamese_becomes_composed():
    # given "Hòa Bình" typed with combining marks (NFD)
    decomposed = unicodedata.normalize("NFD", "Hòa Bình")
    assert decomposed != "Hòa Bình"

    # then nfc returns the composed string
    assert nfc(decomposed) == "Hòa Bình"
    assert unicodedata.is_normalized("NFC", nfc(decomposed))


def test_composed_text_is_unchanged():
    assert nfc("Xã Tân Phú, Thành phố Hồ Chí Minh") == (
        "Xã Tân Phú, Thành phố Hồ Chí Minh"
    )


def test_nul_characters_are_dropped():
    assert nfc("Quảng\x00 Ninh") == "Quảng Ninh"


def test_every_vietnamese_letter_survives_a_round_trip():
    letters = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
    for text in (letters, letters.upper()):
        assert nfc(unicodedata.normalize("NFD", text)) == text
