"""Markdown from the LLM or an editor becomes safe HTML; dates read the Japanese way."""

import datetime

import pytest
from django.template import Context, Template

from papernotes.markdown import render_markdown
from papernotes.templatetags.papernotes_tags import ja_date


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("<script>alert(1)</script>本文", "<script"),
        ('<img src="x" onerror="alert(1)">本文', "onerror"),
        ('<p onclick="alert(1)">本文</p>', "onclick"),
        ("[本文](javascript:alert(1))", "javascript:"),
        ('<a href="javascript:alert(1)">本文</a>', "javascript:"),
        ("<style>body{display:none}</style>本文", "<style"),
        ('<iframe src="https://example.com"></iframe>本文', "<iframe"),
        ('<div style="position:fixed">本文</div>', "style="),
        ("<svg><script>alert(1)</script></svg>本文", "<svg"),
    ],
)
def test_hostile_markup_is_removed_but_the_text_kept(text, forbidden):
    # when hostile markup is rendered
    html = render_markdown(text)

    # then the dangerous part is gone and the Japanese text remains
    assert forbidden not in html.lower()
    assert "本文" in html


def test_markdown_formatting_is_kept():
    # given the formatting editors and the LLM actually use
    text = "**重要**な点は *二つ* ある.\n\n- 一つ目\n- 二つ目\n\n`code` と [論文](https://arxiv.org/abs/2405.01535)"

    # when rendered
    html = render_markdown(text)

    # then it comes out as ordinary HTML
    assert "<strong>重要</strong>" in html
    assert "<em>二つ</em>" in html
    assert "<li>一つ目</li>" in html
    assert "<code>code</code>" in html
    assert 'href="https://arxiv.org/abs/2405.01535"' in html


def test_links_cannot_be_used_to_track_or_hijack_the_reader():
    # when a link is rendered, then it carries rel="noopener noreferrer nofollow"
    html = render_markdown("[論文](https://example.com/)")
    assert 'rel="noopener noreferrer nofollow"' in html


def test_plain_angle_brackets_in_text_are_shown_not_interpreted():
    # given a sentence comparing numbers, as papers do
    html = render_markdown("精度は a < b かつ c > d である.")

    # then the reader sees the symbols, escaped
    assert "a &lt; b" in html
    assert "c &gt; d" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_markdown_filter_output_is_not_escaped_twice():
    # when a template renders a text with the filter
    html = Template("{% load papernotes_tags %}{{ text|markdown }}").render(
        Context({"text": "**太字** <script>x</script>"})
    )

    # then the formatting is real HTML and the script is still gone
    assert "<strong>太字</strong>" in html
    assert "<script" not in html
    assert "&lt;strong&gt;" not in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime.date(2024, 5, 2), "2024年5月2日"),
        (datetime.date(2024, 12, 31), "2024年12月31日"),
        # a time is shown on Japan's calendar: 2024-05-01 20:00 UTC is 5 May 02, 05:00 JST
        (datetime.datetime(2024, 5, 1, 20, 0, tzinfo=datetime.UTC), "2024年5月2日"),
        (None, ""),
    ],
)
def test_ja_date(value, expected):
    assert ja_date(value) == expected


def test_ja_date_in_a_template():
    html = Template("{% load papernotes_tags %}{{ day|ja_date }}").render(Context({"day": datetime.date(2024, 4, 29)}))
    assert html == "2024年4月29日"


def test_reader_markdown_marks_phrase_breaks_without_splitting_words_or_entities():
    # given a Japanese sentence with an ampersand, rendered for a reader page
    html = Template("{% load papernotes_tags %}{{ text|markdown }}").render(
        Context({"text": "大規模言語モデルの評価には R&D の費用がかかる."})
    )

    # then line-break opportunities sit between phrases, the words stay whole
    assert "<wbr>" in html
    assert "大規模言語モデルの<wbr>" in html
    assert "&amp;" in html and "&<wbr>" not in html
    assert html.replace("<wbr>", "") == "<p>大規模言語モデルの評価には R&amp;D の費用がかかる.</p>"


def test_arxiv_links_are_shown_over_https_and_others_untouched():
    from papernotes.templatetags.papernotes_tags import https

    assert https("http://arxiv.org/pdf/2405.01535v1") == "https://arxiv.org/pdf/2405.01535v1"
    assert https("http://export.arxiv.org/abs/2405.01535") == "https://arxiv.org/abs/2405.01535"
    assert https("http://example.org/x") == "http://example.org/x"
