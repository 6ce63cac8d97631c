"""Markdown from the LLM or an editor becomes safe HTML; dates read the Japanese way."""

import datetime
import re

import pytest
from django.template import Context, Template

from papernotes.markdown import render_markdown, render_reader_markdown
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


# --- URLs in notes and answers ----------------------------------------------------------


def test_bare_urls_in_an_abstract_or_answer_become_links_where_their_ascii_ends():
    # given an answer as the LLM writes it: URLs glued to Japanese words, one ending a sentence
    text = "コードはhttps://github.com/prometheus-eval/prometheus-evalで公開.詳細はhttps://example.org/a_(b)."

    # when it is rendered for a reader
    html = render_reader_markdown(text, phrases=False)

    # then each URL is a link to exactly itself, with the Japanese around it left as text
    links = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer nofollow">(.*?)</a>', html)
    assert [(href, shown.replace("<wbr>", "")) for href, shown in links] == [
        ("https://github.com/prometheus-eval/prometheus-eval", "https://github.com/prometheus-eval/prometheus-eval"),
        ("https://example.org/a_(b)", "https://example.org/a_(b)"),
    ]
    assert "で公開." in html and html.endswith(".</p>")
    # and a long URL may break after its slashes, never inside "//"
    assert "https://github.com/<wbr>prometheus-eval/<wbr>prometheus-eval" in html


def test_urls_already_linked_or_shown_as_code_are_left_alone():
    html = render_markdown("[論文](https://arxiv.org/abs/1) と `https://example.org/x` と <https://example.com/>")
    assert html.count("<a ") == 2  # the Markdown link and the autolink, each once
    assert "<code>https://example.org/x</code>" in html


def test_only_web_urls_are_linked_and_the_result_is_still_sanitised():
    html = render_markdown("javascript:alert(1) と http://x.org/?q=<script>alert(1)</script>")
    assert 'href="javascript' not in html and "<script" not in html
    assert '<a href="http://x.org/?q=" rel="noopener noreferrer nofollow">' in html


# --- Japanese line breaking -------------------------------------------------------------


def _breaks(html: str) -> list[str]:
    """The text between break opportunities (tags other than <wbr> removed)."""
    return re.sub(r"<(?!wbr>)[^>]+>", "", html).split("<wbr>")


def test_short_texts_break_between_phrases_but_never_before_closing_punctuation():
    # given a question with a sentence end that BudouX reads as the start of a phrase
    html = render_reader_markdown("プロメテウス2は既存の評価者を上回ります.その理由は何ですか?")
    pieces = _breaks(html)

    # then no piece starts with closing punctuation, and one ends with the full stop
    assert all(piece[:1] not in ".,:;!?)」』】、。" for piece in pieces[1:])
    assert any(piece.endswith("上回ります.") for piece in pieces)
    # and a break is allowed after the sentence, which BudouX glued to the next word
    assert any(piece.startswith("その") for piece in pieces)


def test_latin_names_and_numbers_are_never_split():
    text = "Bradley-Terryモデルと、GPT-4-TurboやLlama-3-8B-Instructの性能は28.53%向上した."
    html = render_reader_markdown(text)
    assert re.sub(r"<[^>]+>", "", html) == text  # the text itself unchanged
    for name in ("Bradley-Terry", "GPT-4-Turbo", "Llama-3-8B-Instruct"):
        assert f'<span class="nowrap">{name}</span>' in html
    assert all("28.5" not in piece or "28.53%" in piece for piece in _breaks(html))


def test_hyphenated_parts_of_urls_and_paths_are_not_wrapped():
    html = render_reader_markdown("コードは github.com/prometheus-eval/prometheus-eval にある.")
    assert "nowrap" not in html


def test_body_text_breaks_anywhere_but_after_a_sentence_before_a_latin_word():
    # given body text (概要, answers): the browser breaks it between any characters
    html = render_reader_markdown("評価に基づいています.SPPOアルゴリズムは、GPT-4を使う.", phrases=False)

    # then it carries no phrase marks, except a break after the full stop that Unicode glues to "SPPO"
    assert html.count("<wbr>") == 1 and "います.<wbr>SPPO" in html
    assert '<span class="nowrap">GPT-4</span>' in html
    # and no phrase is marked as long: body text has no phrases
    assert "ja-long" not in html


def test_a_phrase_the_browser_would_break_after_a_bracket_is_kept_whole():
    # a browser breaks after ")" or "・" even under keep-all: 「(LLM)|が」 would split a phrase
    html = render_reader_markdown("大規模言語モデル(LLM)が、イン・コンテクスト学習を使う.")
    assert '<span class="nowrap">(LLM)が、</span>' in html
    assert '<span class="nowrap">イン・コンテクスト学習を</span>' in html
