"""Full-text search over public notes and Q&A, for Japanese (no spaces between words)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papernotes.models import IssueState, NoteState, PaperAsShown, QuestionAnswer
from papernotes.search.query import InvalidQuery, parse_query
from papernotes.search.service import search_public_notes
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2024, 4, 29)


def _search(client, q: str, headers: dict | None = None, **params):
    return client.get(reverse("papernotes:search"), {"q": q, **params}, headers=headers)


def _text(html: str) -> str:
    html = re.sub(r"</?(a|span|time|strong|em|mark|wbr)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def archive():
    """Two public issues, a draft issue, and an unapproved note in a public issue."""
    old = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)
    new = WeeklyIssueFactory(week_start=MONDAY, published=True)
    draft = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=1), state=IssueState.IN_REVIEW)
    evaluation = NoteFactory(
        issue=new,
        position=1,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="Prometheus 2: Evaluating Language Models"),
        summary="評価に特化したオープンな言語モデルを提案した.",
        abstract_ja="GPT-4 のような独自モデルは透明性に欠ける.",
    )
    QuestionAnswerFactory(note=evaluation, position=1, question="何を評価するのか?", answer="他の LM の出力です.")
    retrieval = NoteFactory(
        issue=old,
        position=1,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="Retrieval Heads"),
        summary="長い文脈から情報を取り出す仕組みを調べた.",
        abstract_ja="注意ヘッドの一部が検索を担う.",
    )
    QuestionAnswerFactory(
        note=retrieval, position=2, question="検索ヘッドとは何か?", answer="文脈から情報をコピーする注意ヘッドです."
    )
    NoteFactory(
        issue=new,
        position=2,
        state=NoteState.DRAFTED,
        paper=PaperFactory(title="Unapproved Paper"),
        summary="未承認の言語モデルの評価.",
    )
    NoteFactory(
        issue=draft,
        position=1,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="Draft Issue Paper"),
        summary="下書きの号の言語モデルの評価.",
    )
    return {"evaluation": evaluation, "retrieval": retrieval}


def test_japanese_words_of_any_length_find_public_notes_only(client, archive):
    # when a reader searches for a two-character word and a longer one
    for q in ("評価", "言語モデル"):
        response = _search(client, q)

        # then the public note is found, with the term highlighted in a snippet
        html = response.content.decode()
        assert response.status_code == 200
        assert "Prometheus 2: Evaluating Language Models" in html
        assert f"<mark>{q}</mark>" in html
        assert "1 件" in _text(html)
        # and neither the unapproved note nor the draft issue's note is
        assert "Unapproved Paper" not in html and "Draft Issue Paper" not in html


def test_a_match_in_a_question_links_to_that_question(client, archive):
    response = _search(client, "検索ヘッド")

    html = response.content.decode()
    retrieval = archive["retrieval"]
    assert "Retrieval Heads" in html
    assert f'href="{retrieval.issue.get_absolute_url()}#paper-1-q2"' in html
    assert "<mark>検索ヘッド</mark>とは何か?" in html


def test_every_term_must_appear_and_latin_is_case_insensitive(client, archive):
    # "gpt-4" (lower case) and 透明性 are both in the evaluation note's 概要
    assert "Prometheus 2" in _search(client, "gpt-4 透明性").content.decode()
    # two-character words alone, and mixed with longer ones (PostgreSQL: other indexes)
    assert "Prometheus 2" in _search(client, "評価 透明").content.decode()
    assert "Prometheus 2" in _search(client, "評価 オープンな").content.decode()
    assert "0 件" in _text(_search(client, "評価 注意").content.decode())
    # 透明性 and 注意ヘッド are in different notes: no note has both
    assert "1 件" not in _text(_search(client, "透明性 注意ヘッド").content.decode())
    assert "0 件" in _text(_search(client, "透明性 注意ヘッド").content.decode())
    # the English title is searched too, and full-width Latin is read as half-width
    assert "Retrieval Heads" in _search(client, "ＲＥＴＲＩＥＶＡＬ").content.decode()


def test_the_index_follows_edits_of_published_texts(client, archive):
    # given an answer corrected after publication
    qa = QuestionAnswer.objects.get(note=archive["evaluation"], position=1)
    qa.answer = "審査員モデルとして他の LM を採点します."
    qa.save()

    # then the new text is found and the old one is not
    assert "Prometheus 2" in _search(client, "審査員モデル").content.decode()
    assert "0 件" in _text(_search(client, "他の LM の出力").content.decode())


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("評", "1 文字だけの語では探せません。"),
        ("a 4", "1 文字だけの語では探せません。"),
        ("言語 の", "1 文字の語(「の」)では探せません。"),
        ("...", "記号や絵文字だけの語(「...」)では探せません。"),
        ("🎉🎉 評価", "記号や絵文字だけの語(「🎉🎉」)では探せません。"),
        ("a" * 101, "検索語は 100 文字以内で入力してください。"),
        ("一二 三四 五六 七八 九十 十一", "検索語は 5 個までにしてください。"),
    ],
)
def test_unusable_queries_get_a_japanese_message_on_the_page(client, archive, q, message):
    response = _search(client, q)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html and 'id="search-q"' in html  # the message, and the box to try again


def test_a_control_character_in_the_query_is_refused_before_the_search(client, archive):
    # Given a query with a NUL byte (/search/?q=abc%00def), when it is asked for
    response = _search(client, "abc\x00def")

    # Then the request guard answers a Japanese 400 before any search runs, never a 500
    assert response.status_code == 400
    assert "制御文字" in response.content.decode()


def test_wildcards_are_searched_as_text(archive):
    NoteFactory(
        issue=archive["evaluation"].issue, position=3, state=NoteState.APPROVED, summary="モデルA を 10 倍にした."
    )
    with pytest.raises(InvalidQuery):
        parse_query("   ")
    # % and _ are ordinary characters, not LIKE wildcards (and alone they are no word)
    assert search_public_notes(parse_query("モデル%"), limit=10).total == 0
    assert search_public_notes(parse_query("モデル_"), limit=10).total == 0
    assert search_public_notes(parse_query("10%"), limit=10).total == 0
    assert search_public_notes(parse_query("モデルa"), limit=10).total == 1
    with pytest.raises(InvalidQuery):
        parse_query("%%")


def _queries(client, q: str, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = _text(_search(client, q, **params).content.decode())
    return len(queries), html


def test_search_results_are_paginated_with_a_flat_number_of_queries(client):
    # given one public note that mentions 評価, searched once
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    note = NoteFactory(issue=issue, position=1, state=NoteState.APPROVED, summary="評価 1 番.")
    QuestionAnswerFactory.create_batch(3, note=note)
    alone, _ = _queries(client, "評価")
    # and then 25 that all do, each with Q&A
    for position in range(2, 26):
        note = NoteFactory(issue=issue, position=position, state=NoteState.APPROVED, summary=f"評価 {position} 番.")
        QuestionAnswerFactory.create_batch(3, note=note)

    # when the first and second pages are requested
    queries, first = _queries(client, "評価")
    second = _text(_search(client, "評価", page=2).content.decode())

    # then the same number of queries as for one note; 20 and 5 results, with the total
    assert queries == alone
    assert "25 件" in first and "1 / 2 ページ" in first
    assert "2 / 2 ページ" in second
    assert first.count("評価 ") >= 20
    assert _search(client, "評価", page=3).status_code == 404


@pytest.mark.parametrize("count_limit", [1000, 10])
def test_above_the_count_limit_the_total_is_shown_as_at_least(client, archive, settings, count_limit):
    # given 25 more public notes with 評価 in an older issue, besides the archive's; the
    # first five have it in their title as shown, the others once in their 概要
    older = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=2), published=True)
    for position in range(1, 26):
        title = f"Older Paper {position}" + (" 評価" if position <= 5 else "")
        NoteFactory(
            issue=older,
            position=position,
            state=NoteState.APPROVED,
            paper=PaperFactory(title=title),
            paper_as_shown_data={},
            abstract_ja=f"評価 {position} 番.",
        )
    settings.SEARCH_COUNT_LIMIT = count_limit

    # when a reader searches for 評価, page by page
    first = _text(_search(client, "評価").content.decode())
    second_response = _search(client, "評価", page=2)

    # then the title matches come first (by position, their scores being equal), then the
    # one-liner match (Prometheus 2, newest), then the 概要 matches; never a draft
    shown = re.findall(r"(Prometheus 2|Older Paper \d+)", first)
    assert shown[:7] == [*(f"Older Paper {n}" for n in range(1, 6)), "Prometheus 2", "Older Paper 6"]
    assert "Unapproved Paper" not in first and "Draft Issue Paper" not in first
    if count_limit == 10:
        # and above the limit the total is "10 件以上", the ten best on one page
        assert "「評価」を含む論文ノート: 10 件以上" in first
        assert len(shown) == 10 and "1 ページ目" in first
        assert second_response.status_code == 404
    else:
        second = _text(second_response.content.decode())
        assert "「評価」を含む論文ノート: 26 件" in first
        assert "1 / 2 ページ" in first and "2 / 2 ページ" in second
        assert len(shown) + len(re.findall(r"Older Paper \d+", second)) == 26
        assert _search(client, "評価", page=3).status_code == 404


def test_a_capped_total_still_returns_the_whole_page(archive, settings):
    settings.SEARCH_COUNT_LIMIT = 1
    NoteFactory(issue=archive["evaluation"].issue, position=3, state=NoteState.APPROVED, summary="評価.")
    page = search_public_notes(parse_query("評価"), limit=20)
    assert (page.total, page.total_is_capped, page.has_next) == (1, True, False)
    assert len(page.hits) == 1


def test_only_notes_matched_by_a_question_read_their_qa(client, archive):
    def snippet_reads(q: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = _text(_search(client, q).content.decode())
        # the Q&A of the notes shown, read for their snippets
        return sum('"papernotes_questionanswer"."position"' in query["sql"] for query in queries), html

    # when a search matches one note by its Q&A only, and another by the note's own texts
    by_qa, html = snippet_reads("検索ヘッド")
    by_text, other = snippet_reads("透明性")

    # then the matching pair is the snippet, and only that search read the Q&A shown
    assert "Q: 検索ヘッドとは何か?" in html and "Prometheus 2" in other
    assert (by_qa, by_text) == (1, 0)


# --- relevance, short Latin terms, what readers see, the public door ---------------------------


def _titles(html: str) -> list[str]:
    return re.findall(r'class="note-card__title"><a [^>]*>([^<]+)</a>', html)


def test_results_rank_title_and_one_liner_above_abstract_above_answers_then_frequency_then_recency(client):
    # given, in one issue and an older one, notes that mention LLM in different places and numbers
    new = WeeklyIssueFactory(week_start=MONDAY, published=True)
    old = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)

    def note(issue, position, title, *, summary="要約.", abstract="概要.", answer="回答."):
        created = NoteFactory(
            issue=issue,
            position=position,
            state=NoteState.APPROVED,
            paper=PaperFactory(title=title),
            summary=summary,
            abstract_ja=abstract,
        )
        QuestionAnswerFactory(note=created, position=1, question="何か?", answer=answer)

    note(new, 1, "Once In Abstract", abstract="LLM を評価した.")
    note(new, 2, "Answers Only", answer="LLM と LLM と LLM です.")
    note(new, 3, "Often In Abstract", abstract="LLM の LLM による LLM のための LLM で LLM.")
    note(new, 4, "When To Retrieve: Teaching LLMs")
    note(new, 5, "In The One-Liner", summary="llm を調べた.")
    note(old, 1, "Older Once In Abstract", abstract="LLM を比較した.")

    # when a reader searches for LLM
    html = _search(client, "LLM").content.decode()

    # then title and one-liner matches come first (equal scores: by position), then the 概要
    # with more mentions, then one mention (newer issue first), then the answers
    assert _titles(html) == [
        "When To Retrieve: Teaching LLMs",
        "In The One-Liner",
        "Often In Abstract",
        "Once In Abstract",
        "Older Once In Abstract",
        "Answers Only",
    ]


@pytest.mark.parametrize("q", ["GPT 4", "GPT-4", "gpt4", "ＧＰＴ－４"])
def test_a_version_number_after_a_name_is_searched_with_it(client, q):
    # given notes writing GPT-4 three ways, and one with GPT-3 and a 4 elsewhere
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    for position, text in enumerate(["GPT-4 と比べた.", "GPT4 と比べた.", "GPT 4 と比べた.", "GPT-3 を 4 回."], 1):
        NoteFactory(
            issue=issue,
            position=position,
            state=NoteState.APPROVED,
            paper=PaperFactory(title=f"P{position}"),
            abstract_ja=text,
        )

    # when a reader searches with a one-character number after the name
    response = _search(client, q)

    # then the three spellings are found, highlighted, and GPT-3 is not
    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(_titles(html)) == ["P1", "P2", "P3"]
    assert "<mark>GPT-4</mark>" in html and "<mark>GPT4</mark>" in html and "<mark>GPT 4</mark>" in html


def test_prometheus_2_finds_the_paper_by_its_title(client, archive):
    response = _search(client, "Prometheus 2")

    assert response.status_code == 200
    assert _titles(response.content.decode()) == ["Prometheus 2: Evaluating Language Models"]
    assert "0 件" in _text(_search(client, "Prometheus 3").content.decode())


def test_a_term_without_trigrams_is_found_through_its_bigrams(client, archive):
    NoteFactory(
        issue=archive["evaluation"].issue,
        position=3,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="Code Models"),
        abstract_ja="C++ と C のコードを生成した.",
    )
    NoteFactory(
        issue=archive["evaluation"].issue,
        position=4,
        state=NoteState.APPROVED,
        paper=PaperFactory(title="C Only"),
        abstract_ja="C のコードと + 記号.",
    )

    assert _titles(_search(client, "C++").content.decode()) == ["Code Models"]


def test_search_matches_the_title_readers_see_never_an_unpublished_one(client, archive):
    # given a published note whose title was frozen at publication, and its paper re-ingested
    # since (for an issue in preparation) under a new, unpublished title
    note = archive["evaluation"]
    note.paper_as_shown_data = {**PaperAsShown.of_paper(note.paper).to_json(), "title": "Frozen Shown Title"}
    note.save()
    note.paper.title = "Unpublished Renamed Title"
    note.paper.save()

    # then the unpublished title finds nothing, not even three characters of it
    for q in ("Unpublished", "Renamed", "ren", "amed Tit"):
        assert "0 件" in _text(_search(client, q).content.decode()), q
    # and the title readers see finds the note, shown under that title
    html = _search(client, "Frozen Shown").content.decode()
    assert _titles(html) == ["Frozen Shown Title"]


def test_the_search_page_has_one_search_box(client, archive):
    search_page = _search(client, "評価").content.decode()
    home = client.get(reverse("papernotes:home")).content.decode()

    assert search_page.count('role="search"') == 1 and search_page.count('type="search"') == 1
    assert home.count('role="search"') == 1


def test_searching_too_often_gets_a_japanese_429_counted_per_client(client, archive, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SEARCH_THROTTLE_RATE = "2/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}

    # a forged X-Forwarded-For does not make a client someone else
    statuses = [_search(client, "評価", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(3)]
    refused = _search(client, "評価")

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert "検索が多すぎます。" in refused.content.decode() and int(refused["Retry-After"]) > 0
    # the API's q shares the budget
    assert client.get("/api/v1/notes/", {"q": "評価"}).status_code == 429
    assert client.get("/api/v1/notes/").status_code == 200  # reads without q do not count
    # behind one proxy, the address it saw is the client
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert _search(client, "評価", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"}).status_code == 200


def test_results_are_kept_per_normalised_query_until_public_content_changes(client, archive, django_assert_num_queries):
    assert "Prometheus 2" in _search(client, "GPT-4").content.decode()

    # the same terms typed another way: the stamp and the notes shown, no search
    with django_assert_num_queries(2):
        assert "Prometheus 2" in _search(client, "ｇｐｔ 4").content.decode()

    # a published correction is searched at once
    note = archive["evaluation"]
    note.abstract_ja = "独自モデルは透明性に欠ける."
    note.save()
    assert "0 件" in _text(_search(client, "GPT-4").content.decode())


def test_a_rare_word_made_of_common_bigrams_is_found_in_every_note_that_has_it(client):
    # given 70 notes whose 概要 hold every bigram of エージェント評価 but not the word, and
    # three that hold it: the newest, the oldest and one in between
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    for position in range(1, 74):
        text = "エージェント評価を行った." if position in (1, 40, 73) else "エージェントが評価した.ト評."
        NoteFactory(
            issue=issue,
            position=position,
            state=NoteState.APPROVED,
            paper=PaperFactory(title=f"P{position}"),
            abstract_ja=text,
        )

    html = _search(client, "エージェント評価").content.decode()

    assert _titles(html) == ["P1", "P40", "P73"]
