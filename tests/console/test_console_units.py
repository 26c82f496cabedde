"""The console's pieces without a browser: its words file, the values it shows, its charts."""

from __future__ import annotations

import pytest

from app.console import charts, i18n
from app.console.rendering import shown


def test_every_word_is_there_in_both_languages() -> None:
    messages = i18n.messages()
    assert messages["queue_title"] == {"zh": "本部门待办件", "en": "The department's queue"}
    with pytest.raises(i18n.MessagesError, match="needs exactly"):
        i18n.parse({"title": {"zh": "标题"}})
    with pytest.raises(i18n.MessagesError, match="non-empty"):
        i18n.parse({"title": {"zh": "标题", "en": ""}})


@pytest.mark.parametrize(
    ("lang", "accept", "locale"),
    [(None, None, "zh"), (None, "en-US,en;q=0.9", "en"), (None, "zh-CN,en;q=0.5", "zh"),
     ("en", "zh-CN", "en"), ("zh-CN", "en", "zh")],
)  # fmt: skip
def test_chinese_first_english_on_request(
    lang: str | None, accept: str | None, locale: str
) -> None:
    assert i18n.locale_of(lang, accept) == locale


def test_values_are_shown_as_people_read_them() -> None:
    assert shown(True) == "是"
    assert shown(False, "en") == "no"
    assert shown(None) == ""
    assert shown({"a": 1, "b": True}, "en") == "a: 1; b: yes"
    assert shown([1, 2]) == "1, 2"


def test_bars_are_scaled_to_the_largest_or_the_given_maximum() -> None:
    chart = charts.bars([("gjj", 4.0, "4"), ("jyj", 2.0, "2")])
    assert [(b.label, b.width, b.y) for b in chart.bars] == [
        ("gjj", charts.BAR_WIDTH, 0), ("jyj", charts.BAR_WIDTH / 2, charts.ROW)
    ]  # fmt: skip
    rates = charts.bars([("rent", 0.5, "50%")], maximum=1.0)
    assert rates.bars[0].width == charts.BAR_WIDTH / 2
    assert charts.bars([]).bars == []
