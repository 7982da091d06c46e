"""Amounts in words, the Indian way (thousand, lakh, crore), in English and Hindi, for invoices. Pure."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["in_words"]

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
_TENS = (
    "_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
)

# Hindi names its numbers up to 99 one by one.
_HINDI = (
    "शून्य", "एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ", "दस", "ग्यारह", "बारह", "तेरह", "चौदह",
    "पंद्रह", "सोलह", "सत्रह", "अठारह", "उन्नीस", "बीस", "इक्कीस", "बाईस", "तेईस", "चौबीस", "पच्चीस", "छब्बीस",
    "सत्ताईस", "अट्ठाईस", "उनतीस", "तीस", "इकतीस", "बत्तीस", "तैंतीस", "चौंतीस", "पैंतीस", "छत्तीस", "सैंतीस",
    "अड़तीस", "उनतालीस", "चालीस", "इकतालीस", "बयालीस", "तैंतालीस", "चवालीस", "पैंतालीस", "छियालीस", "सैंतालीस",
    "अड़तालीस", "उनचास", "पचास", "इक्यावन", "बावन", "तिरपन", "चौवन", "पचपन", "छप्पन", "सत्तावन", "अट्ठावन", "उनसठ",
    "साठ", "इकसठ", "बासठ", "तिरसठ", "चौंसठ", "पैंसठ", "छियासठ", "सड़सठ", "अड़सठ", "उनहत्तर", "सत्तर", "इकहत्तर",
    "बहत्तर", "तिहत्तर", "चौहत्तर", "पचहत्तर", "छिहत्तर", "सतहत्तर", "अठहत्तर", "उनासी", "अस्सी", "इक्यासी",
    "बयासी", "तिरासी", "चौरासी", "पचासी", "छियासी", "सत्तासी", "अट्ठासी", "नवासी", "नब्बे", "इक्यानबे", "बानबे",
    "तिरानबे", "चौरानबे", "पचानबे", "छियानबे", "सत्तानबे", "अट्ठानबे", "निन्यानबे",
)

_EN_UNITS = ((10**7, "crore"), (10**5, "lakh"), (1000, "thousand"), (100, "hundred"))
_HI_UNITS = ((10**7, "करोड़"), (10**5, "लाख"), (1000, "हज़ार"), (100, "सौ"))


def _below_100_en(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _whole(n: int, lang: str) -> str:
    """A whole number in words (crores can repeat: 1,00,00,00,000 is "one hundred crore")."""
    units, small = (_HI_UNITS, lambda k: _HINDI[k]) if lang == "hi" else (_EN_UNITS, _below_100_en)
    if n < 100:
        return small(n)
    parts: list[str] = []
    for size, name in units:
        if n >= size:
            count, n = divmod(n, size)
            parts.append(f"{_whole(count, lang)} {name}")
    if n:
        parts.append(small(n))
    return " ".join(parts)


def in_words(amount: Decimal, lang: str = "en") -> str:
    """``125000.50`` -> "Rupees one lakh twenty-five thousand and fifty paise only" (English), or
    "एक लाख पच्चीस हज़ार रुपये और पचास पैसे मात्र" (``lang="hi"``)."""
    paise_total = int((abs(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    rupees, paise = divmod(paise_total, 100)
    if lang == "hi":
        text = f"{_whole(rupees, 'hi')} रुपये"
        if paise:
            text += f" और {_whole(paise, 'hi')} पैसे"
        return f"{text} मात्र"
    text = f"Rupees {_whole(rupees, 'en')}"
    if paise:
        text += f" and {_whole(paise, 'en')} paise"
    return f"{text} only"
