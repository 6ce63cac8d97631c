"""Reader pages: the archive, one issue, its text version — what a reader sees."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from papernotes.models import IssueState, WeeklyIssue
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2024, 4, 29)
# Issue page: the issue, its notes joined to their papers, their Q&A — for any number of papers.
ISSUE_PAGE_QUERIES = 3


def _detail_url(week: str) -> str:
    return reverse("papernotes:issue_detail", kwargs={"week": week})


def _text_url(week: str) -> str:
    return reverse("papernotes:issue_text", kwargs={"week": week})


def _published_issue_with_papers(count: int, *, qas_per_paper: int = 3):
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    for position in range(1, count + 1):
        note = NoteFactory(issue=issue, position=position, paper=PaperFactory(title=f"Paper Number {position}"))
        for qa_position in range(1, qas_per_paper + 1):
            QuestionAnswerFactory(note=note, position=qa_position)
    return issue


def _text(html: str) -> str:
    """The page as a reader reads it: tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the archive -----------------------------------------------------------------------


def test_list_shows_only_published_issues_newest_first(client):
    # given two published issues and a draft
    older = WeeklyIssueFactory(week_start=datetime.date(2024, 4, 22), published=True)
    newer = WeeklyIssueFactory(week_start=MONDAY, published=True)
    draft = WeeklyIssueFactory(week_start=datetime.date(2024, 5, 6), state=IssueState.COLLECTING)
    NoteFactory.create_batch(2, issue=newer)

    # when a reader opens the home page
    response = client.get(reverse("papernotes:issue_list"))

    # then the published issues are listed newest first, each linking to its page
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(newer.title) < html.index(older.title)
    assert f'href="{newer.get_absolute_url()}"' in html
    assert "論文 2 本" in _text(html)
    assert "論文 0 本" in _text(html)
    # and the draft is nowhere
    assert draft.title not in html
    assert draft.get_absolute_url() not in html


def test_list_without_published_issues_says_so(client):
    # given only a draft
    WeeklyIssueFactory(week_start=MONDAY)

    # when a reader opens the home page
    response = client.get(reverse("papernotes:issue_list"))

    # then they are told there is nothing yet, in Japanese
    assert response.status_code == 200
    assert "公開済みの週刊号はまだありません。" in response.content.decode()


# --- one issue -------------------------------------------------------------------------


def test_issue_page_shows_toc_metadata_abstract_and_qa(client):
    # given a published issue with one fully described paper
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True, intro="ここでは、今週の論文を紹介します.")
    paper = PaperFactory(
        arxiv_id="2405.01535",
        title="Prometheus 2: An Open Source Language Model",
        authors=["Seungone Kim", "Juyoung Suk"],
        first_published_on=datetime.date(2024, 5, 2),
        latest_updated_on=datetime.date(2024, 5, 3),
        categories=["cs.CL", "cs.LG"],
    )
    note = NoteFactory(
        issue=issue,
        paper=paper,
        position=1,
        summary="評価用のオープンな LM を作った.",
        abstract_ja="GPT-4 は**よく**評価に使われる.",
    )
    QuestionAnswerFactory(note=note, position=1, question="何を作ったのか?", answer="評価用の LM です.")

    # when a reader opens the issue page
    response = client.get(_detail_url("2024-04-29"))

    # then they see the issue's heading and intro
    html = response.content.decode()
    text = _text(html)
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert f'<h1 class="issue__title">{issue.title}</h1>' in html
    assert "ここでは、今週の論文を紹介します." in text
    # a numbered table of contents linking to the paper's section, with date and summary
    assert 'href="#paper-1"' in html
    assert 'id="paper-1"' in html
    assert "目次" in text
    assert "発行日: 2024年05月02日" in text
    assert "評価用のオープンな LM を作った." in text
    # the paper's metadata with Japanese labels, its title linking to arXiv's abstract page
    assert f'<a href="{paper.abs_url}" lang="en">{paper.title}</a>' in html
    assert "著者 Seungone Kim, Juyoung Suk" in text
    assert "発行日 2024年05月02日" in text
    assert "最終更新日 2024年05月03日" in text
    assert "カテゴリ Computation and Language, Machine Learning" in text
    assert f'href="{paper.pdf_url}"' in html
    # the abstract rendered from Markdown, and the Q&A with Q/A labels
    assert "概要" in text
    assert "GPT-4 は<strong>よく</strong>評価に使われる." in html
    assert "Q 何を作ったのか?" in text
    assert "A 評価用の LM です." in text
    assert 'href="#toc"' in html
    assert "目次へ戻る" in text
    # and a link to the text version
    assert f'href="{_text_url("2024-04-29")}"' in html


def test_issue_page_orders_papers_and_qas_by_position(client):
    # given papers and Q&A created out of order
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    second = NoteFactory(issue=issue, position=2, paper=PaperFactory(title="Second Paper"))
    first = NoteFactory(issue=issue, position=1, paper=PaperFactory(title="First Paper"))
    QuestionAnswerFactory(note=first, position=2, question="二番目の質問?")
    QuestionAnswerFactory(note=first, position=1, question="一番目の質問?")
    QuestionAnswerFactory(note=second, position=1, question="別の論文の質問?")

    # when a reader opens the issue page
    html = client.get(_detail_url("2024-04-29")).content.decode()

    # then papers and questions appear in their positions' order
    assert html.index("First Paper") < html.index("Second Paper")
    assert html.index("一番目の質問?") < html.index("二番目の質問?") < html.index("別の論文の質問?")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script>答え",
        '<img src="x" onerror="alert(1)">答え',
        "[答え](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">答え</a>',
    ],
)
def test_issue_page_never_passes_scripts_from_texts(client, hostile):
    # given a published note whose texts carry script
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    note = NoteFactory(issue=issue, position=1, summary=hostile, abstract_ja=hostile)
    QuestionAnswerFactory(note=note, position=1, question=hostile, answer=hostile)

    # when a reader opens the issue page
    response = client.get(_detail_url("2024-04-29"))

    # then the text is there but none of the script reaches the HTML
    html = response.content.decode().lower()
    assert response.status_code == 200
    assert "答え" in html
    for dangerous in ("<script", "onerror", "onclick", "javascript:", "<img"):
        assert dangerous not in html


def test_issue_page_runs_a_constant_number_of_queries(client, django_assert_num_queries):
    # given an issue with one paper, then the same week with ten papers and more Q&A
    _published_issue_with_papers(1, qas_per_paper=1)

    # when the page is rendered, then the number of queries is fixed...
    with django_assert_num_queries(ISSUE_PAGE_QUERIES):
        assert client.get(_detail_url("2024-04-29")).status_code == 200

    # ...and stays the same with ten papers of eleven Q&A each
    WeeklyIssue.objects.all().delete()
    _published_issue_with_papers(10, qas_per_paper=11)
    with django_assert_num_queries(ISSUE_PAGE_QUERIES):
        response = client.get(_detail_url("2024-04-29"))
    assert response.status_code == 200
    assert _text(response.content.decode()).count("目次へ戻る") == 10


def test_issue_page_is_cacheable_and_revalidates(client):
    # given a published issue
    _published_issue_with_papers(1)

    # when a reader loads the page, then it is publicly cacheable for a short time with an ETag
    response = client.get(_detail_url("2024-04-29"))
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    etag = response["ETag"]

    # and reloading with that ETag answers 304 without a body
    again = client.get(_detail_url("2024-04-29"), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_issue_page_etag_changes_when_a_qa_is_corrected(client):
    # given a published issue that a reader has loaded
    issue = _published_issue_with_papers(1)
    etag = client.get(_detail_url("2024-04-29"))["ETag"]

    # when an answer is corrected after publication (no timestamp on the issue changes)
    qa = issue.notes.get().qas.first()
    qa.answer = "訂正された回答です."
    qa.save()

    # then the reader's cached copy is not confirmed as current
    response = client.get(_detail_url("2024-04-29"), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "訂正された回答です." in response.content.decode()


# --- the text version ------------------------------------------------------------------


def test_text_version_is_utf8_plain_text(client):
    # given a published issue
    issue = _published_issue_with_papers(2)

    # when the text version is requested
    response = client.get(_text_url("2024-04-29"))

    # then it is plain UTF-8 text starting with the issue heading
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith(issue.title + "\n")
    assert "Paper Number 2" in body


def test_real_back_issue_is_presented_and_exported_unchanged(client, tmp_path, sample_issue_bytes):
    # given the published issue of 2024-04-29, imported from the blog's text
    path = tmp_path / "weekly-issue-2024-04-29.txt"
    path.write_bytes(sample_issue_bytes)
    call_command("import_issue", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    # when a reader opens its page and its text version
    page = client.get(_detail_url("2024-04-29"))
    text_version = client.get(_text_url("2024-04-29"))

    # then the page lists ten papers with their Japanese metadata
    text = _text(page.content.decode())
    assert page.status_code == 200
    assert "最新論文ノート:【2024-04-29~ 2024-05-05】" in text
    assert text.count("目次へ戻る") == 10
    assert "Prometheus 2: An Open Source Language Model Specialized in Evaluating Other Language Models" in text
    assert "発行日 2024年05月02日" in text
    assert 'href="http://arxiv.org/pdf/2405.01535v1"' in page.content.decode()
    # and the text version is byte for byte the published issue
    assert text_version.content == sample_issue_bytes


# --- what readers must not see -----------------------------------------------------------


@pytest.mark.parametrize("url_name", ["papernotes:issue_detail", "papernotes:issue_text"])
@pytest.mark.parametrize(
    ("week", "state"),
    [
        ("2024-04-29", IssueState.COLLECTING),  # the issue exists but is a draft
        ("2024-04-29", IssueState.IN_REVIEW),
        ("2024-04-29", IssueState.READY),  # ready is still not published
        ("2024-05-06", IssueState.PUBLISHED),  # no issue that week
        ("2024-02-30", IssueState.PUBLISHED),  # not a date
        ("2024-04-30", IssueState.PUBLISHED),  # a Tuesday, inside a published week
    ],
)
def test_unpublished_unknown_or_invalid_weeks_are_404(client, url_name, week, state):
    # given one issue of the week of 2024-04-29 in the given state
    if state == IssueState.PUBLISHED:
        issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    else:
        issue = WeeklyIssueFactory(week_start=MONDAY, state=state)
    NoteFactory(issue=issue, position=1, paper=PaperFactory(title="Secret Draft Paper"))

    # when a reader asks for that week
    response = client.get(reverse(url_name, kwargs={"week": week}))

    # then it is not found, and nothing of the issue leaks
    assert response.status_code == 404
    assert "Secret Draft Paper" not in response.content.decode()


def test_not_found_page_is_japanese(client):
    # when a reader follows a link to a week with no issue
    response = client.get(_detail_url("2031-01-06"))

    # then the 404 page speaks Japanese and leads back home
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="ja">' in html
    assert "ページが見つかりません" in html
    assert f'href="{reverse("papernotes:issue_list")}"' in html
