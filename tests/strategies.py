"""Hypothesis strategies shared by the property tests: Swedish words, addresses, numbers."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

LOWER = "abcdefghijklmnopqrstuvwxyzåäö"
LETTERS = LOWER + LOWER.upper()
DIGITS = "0123456789"

# Words of a sentence around an address: letters only, so nothing in them is personal.
words = st.text(alphabet=LETTERS, min_size=1, max_size=12)
sentence = st.lists(words, min_size=0, max_size=6).map(" ".join)
punctuation = st.sampled_from(["", ".", ",", "!", "?"])

_atom = st.text(alphabet=LETTERS + DIGITS + "_-+", min_size=1, max_size=10)
local_parts = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_label = st.text(alphabet=LOWER + DIGITS, min_size=1, max_size=12)
domains = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=2),
    st.sampled_from(["se", "com", "nu", "org", "net", "eu"]),
)
# Valid addresses, Swedish letters included: "Åsa.Öberg@exempel.se".
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    """A personnummer as people type it: 10 or 12 digits, with or without - or +."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    birth = draw(st.integers(0, 9999))
    year = f"{born.year:04d}" if draw(st.booleans()) else f"{born.year % 100:02d}"
    separator = draw(st.sampled_from(["", "-", "+"]))
    return f"{year}{born.month:02d}{born.day:02d}{separator}{birth:04d}"


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """A Swedish phone number in one of the common ways of writing it."""
    area = draw(st.sampled_from(["8", "31", "40", "70", "72", "73", "76", "79", "771"]))
    size = draw(st.integers(max(5, 8 - len(area)), 9 - len(area)))
    subscriber = draw(st.text(alphabet=DIGITS, min_size=size, max_size=size))
    if draw(st.booleans()):
        # Grouped in pairs after a head of two or three digits: "123 45 67", "12 34 56".
        cut = 3 if size % 2 else 2
        tail = subscriber[cut:]
        subscriber = " ".join(
            [subscriber[:cut], *(tail[i : i + 2] for i in range(0, len(tail), 2))]
        )
    form = draw(st.sampled_from(["0{a}-{s}", "0{a} {s}", "0{a}{s}", "+46 {a} {s}", "+46{a}{s}"]))
    return form.format(a=area, s=subscriber)
