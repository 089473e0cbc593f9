import pytest

from guanxi.core.pinyin import full_pinyin, index_letter, initials, phone_digits, search_text


@pytest.mark.parametrize(
    ("name", "letter"),
    [
        ("张伟", "Z"),
        ("单雄信", "S"),
        ("曾国藩", "Z"),
        ("查良镛", "Z"),
        ("区家明", "O"),
        ("Apple 苹果", "A"),
        ("3M 中国", "#"),
        ("", "#"),
        ("  李娜", "L"),
    ],
)
def test_index_letter_uses_surname_readings(name, letter):
    assert index_letter(name) == letter


def test_full_pinyin_and_initials():
    assert full_pinyin("张伟") == "zhangwei"
    assert initials("张伟") == "zw"
    assert full_pinyin("单雄信", surname=True) == "shanxiongxin"
    assert initials("单雄信", surname=True) == "sxx"


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("(021) 6234 5678", "02162345678"),
        ("", ""),
    ],
)
def test_phone_digits(raw, digits):
    assert phone_digits(raw) == digits


def test_search_text_finds_by_hanzi_pinyin_initials_every_reading_phone_and_email():
    text = search_text(
        names=["重庆长安汽车"],
        person_names=["单雄信"],
        phones=["+86 138-0013-8000"],
        emails=["Shan@Example.COM"],
    )
    for needle in (
        "重庆长安",
        "chongqing",
        "cqca",
        "shanxiongxin",
        "danxiongxin",
        "sxx",
        "13800138000",
        "8000",
        "shan@example.com",
    ):
        assert needle in text, needle


def test_search_text_without_chinese_is_plain_lower_case():
    assert search_text(names=["ACME Ltd"]) == "acme ltd"
