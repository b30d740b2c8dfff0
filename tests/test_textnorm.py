"""indexer.textnorm: the search form of a text, and spans mapped back onto the original characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer import textnorm
from indexer.textnorm import search_form, simplify

# Traditional characters, full-width digits and letters, and '㎡' which NFKC expands to two characters.
ORIGINAL = "堅持到２０２５年實現綠地面積１００㎡，ＧＤＰ增長。"


def test_search_form_of_a_traditional_sentence():
    assert search_form(ORIGINAL).text == "坚持到2025年实现绿地面积100m2,gdp增长。"


def test_spans_map_back_to_the_displayed_characters():
    norm = search_form(ORIGINAL)

    def back(needle: str) -> str:
        start = norm.text.index(needle)
        begin, end = norm.to_original(start, start + len(needle))
        return ORIGINAL[begin:end]

    assert back("坚持") == "堅持"
    assert back("2025") == "２０２５"
    assert back("实现绿地") == "實現綠地"
    assert back("m2") == "㎡"
    assert back("m") == "㎡"  # half of an expansion still highlights the whole character
    assert back("100m2") == "１００㎡"
    assert back("gdp增长") == "ＧＤＰ增長"


def test_offsets_have_an_end_sentinel():
    norm = search_form(ORIGINAL)
    assert norm.to_original(len(norm.text), len(norm.text)) == (len(ORIGINAL), len(ORIGINAL))
    assert norm.to_original(0, 0) == (0, 0)
    assert norm.to_original(0, len(norm.text)) == (0, len(ORIGINAL))


def test_span_outside_the_text_is_refused():
    norm = search_form("规划")
    for start, end in [(-1, 1), (1, 0), (0, 3)]:
        with pytest.raises(ValueError):
            norm.to_original(start, end)


def test_ligature_and_combining_marks():
    norm = search_form("ﬁle e\u0301")
    assert norm.text == "file é"
    assert norm.to_original(1, 2) == (0, 1)  # the 'i' of 'ﬁ'
    assert norm.to_original(5, 6) == (4, 6)  # 'é' came from 'e' plus a combining acute


def test_only_ascii_is_lowercased():
    assert simplify("ＡＢＣ Ä Ω") == "abc Ä Ω"


def test_simplify_matches_search_form_and_handles_empty():
    assert simplify("知識產權保護") == "知识产权保护"
    assert simplify("") == ""
    assert search_form("").to_original(0, 0) == (0, 0)


class _GrowingConverter:
    """A stand-in for OpenCC where one character becomes two, to exercise the length-changing path."""

    def convert(self, text: str) -> str:
        return text.replace("甲", "乙丙").replace("國", "国")


def test_length_changing_conversion_keeps_an_exact_map(monkeypatch):
    monkeypatch.setattr(textnorm, "_converter", lambda: _GrowingConverter())
    original = "中國\n甲Ａ國"
    norm = search_form(original)
    assert norm.text == "中国\n乙丙a国"
    assert norm.to_original(3, 4) == (3, 4)  # '乙' → '甲'
    assert norm.to_original(4, 5) == (3, 4)  # '丙' → '甲'
    assert norm.to_original(5, 7) == (4, 6)  # 'a国' → 'Ａ國'
    assert norm.to_original(0, 2) == (0, 2)  # an unchanged line maps 1:1


def test_equal_texts_compare_and_hash_by_text():
    assert search_form("規劃") == search_form("規劃")
    assert hash(search_form("規劃")) == hash(search_form("規劃"))


@given(st.text(max_size=40))
def test_every_normalized_character_maps_to_a_nonempty_ordered_span(text):
    norm = search_form(text)
    previous = (0, 0)
    for i in range(len(norm.text)):
        start, end = norm.to_original(i, i + 1)
        assert 0 <= start < end <= len(text)
        assert start >= previous[0] and end >= previous[1]
        previous = (start, end)
    assert norm.to_original(len(norm.text), len(norm.text)) == (len(text), len(text))
