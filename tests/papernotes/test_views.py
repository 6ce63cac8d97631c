"""Reader pages: home, one issue, its text and Markdown versions, papers, categories, feed,
sitemap — what a reader (or a crawler) sees."""

import datetime
import io
import re
import xml.etree.ElementTree as ET

import markdown
import pytest
from django.core.management import call_command
from django.urls import reverse

from papernotes.models import IssueState, NoteState, WeeklyIssue
from tests.factories import NoteFactory, PaperFactory, QuestionAnswerFactory, WeeklyIssueFactory, set_issue_state

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2024, 4, 29)
APPROVED = NoteState.APPROVED
# Issue page: version stamp, the issue, its notes joined to their papers, their Q&A, and the
# previous and next issues — for any number of papers.
ISSUE_PAGE_QUERIES = 6
# Home: stamp, archive count, archive page, latest issue, its notes, their Q&A.
HOME_QUERIES = 6


def _detail_url(week: str) -> str:
    return reverse("papernotes:issue_detail", kwargs={"week": week})


def _text_url(week: str) -> str:
    return reverse("papernotes:issue_text", kwargs={"week": week})


def _markdown_url(week: str) -> str:
    return reverse("papernotes:issue_markdown", kwargs={"week": week})


def _published_issue_with_papers(count: int, *, qas_per_paper: int = 3, week_start=MONDAY):
    issue = WeeklyIssueFactory(week_start=week_start, published=True)
    for position in range(1, count + 1):
        paper = PaperFactory(title=f"Paper Number {position} of {week_start}")
        note = NoteFactory(issue=issue, position=position, paper=paper, state=APPROVED)
        for qa_position in range(1, qas_per_paper + 1):
            QuestionAnswerFactory(note=note, position=qa_position)
    return issue


def _text(html: str) -> str:
    """The page as a reader reads it: inline tags dropped, block tags a space, whitespace collapsed."""
    html = re.sub(r"</?(a|span|time|strong|em|mark|wbr)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- home ---------------------------------------------------------------------------------


def test_home_shows_the_latest_issue_with_its_contents_then_the_archive_by_month(client):
    # given two published issues in different months, a draft, and an unapproved note
    older = WeeklyIssueFactory(week_start=datetime.date(2024, 3, 25), published=True)
    latest = WeeklyIssueFactory(week_start=MONDAY, published=True)
    draft = WeeklyIssueFactory(week_start=datetime.date(2024, 5, 6), state=IssueState.COLLECTING)
    NoteFactory(
        issue=latest,
        position=1,
        state=APPROVED,
        summary="評価用の LM を作った.",
        paper=PaperFactory(title="Prometheus 2"),
    )
    NoteFactory(issue=latest, position=2, state=NoteState.IN_REVIEW, paper=PaperFactory(title="Unreviewed Paper"))
    NoteFactory(issue=draft, position=1, state=APPROVED, paper=PaperFactory(title="Draft Issue Paper"))

    # when a reader opens the home page
    response = client.get(reverse("papernotes:home"))

    # then the latest issue comes first with its contents and one-line summaries
    html = response.content.decode()
    text = _text(html)
    assert response.status_code == 200
    assert "最新号" in text
    assert "2024-04-29〜2024-05-05 の号" in text and "最新論文ノート:【" not in text
    assert "Prometheus 2" in text and "評価用の LM を作った." in text
    assert "1 本の論文の概要と Q&A を読む" in text
    # then the archive, grouped by month, with Japanese dates without zero padding
    assert text.index("2024年4月") < text.index("2024年3月")
    assert "2024年4月29日〜2024年5月5日" in text
    assert "2024年3月25日〜2024年3月31日" in text
    assert f'href="{older.get_absolute_url()}"' in html
    # and neither the draft issue nor the unapproved note is anywhere
    for hidden in ("Unreviewed Paper", "Draft Issue Paper", draft.get_absolute_url()):
        assert hidden not in html


def test_home_without_published_issues_says_so(client):
    WeeklyIssueFactory(week_start=MONDAY)

    response = client.get(reverse("papernotes:home"))

    assert response.status_code == 200
    assert "公開済みの週刊号はまだありません。" in response.content.decode()


def test_home_paginates_the_archive_and_stays_flat_in_queries(client, django_assert_num_queries):
    # given one published issue, the home page runs a fixed number of queries
    _published_issue_with_papers(3, qas_per_paper=2)
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get(reverse("papernotes:home")).status_code == 200

    # when the archive grows to sixty weeks
    for week in range(1, 60):
        WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=week), published=True)

    # then the home page runs the same queries and shows one page of the archive
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("papernotes:home"))
    text = _text(response.content.decode())
    assert "1 / 3 ページ" in text
    assert "古い方へ" in text
    # and the next page holds older issues; a page past the end is a 404
    page_two = _text(client.get(reverse("papernotes:home"), {"page": 2}).content.decode())
    assert "2 / 3 ページ" in page_two and "最新号" not in page_two
    assert client.get(reverse("papernotes:home"), {"page": 9}).status_code == 404
    assert client.get(reverse("papernotes:home"), {"page": "x"}).status_code == 404


# --- one issue ---------------------------------------------------------------------------


def test_issue_page_shows_toc_metadata_abstract_and_qa(client):
    # given a published issue with one fully described paper
    issue = WeeklyIssueFactory(
        week_start=MONDAY,
        published=True,
        intro="ここでは、今週の論文を紹介します. 元のリスト: https://example.org/list",
    )
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
        state=APPROVED,
        summary="評価用のオープンな LM を作った.",
        abstract_ja="GPT-4 は**よく**評価に使われる.",
    )
    QuestionAnswerFactory(note=note, position=1, question="何を作ったのか?", answer="評価用の LM です.")

    # when a reader opens the issue page
    response = client.get(_detail_url("2024-04-29"))

    # then they see the issue's heading and intro, its URL a link
    html = response.content.decode()
    text = _text(html)
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert (
        '<h1 class="issue__title"><span class="nowrap">2024-04-29</span>〜'
        '<span class="nowrap">2024-05-05</span> の号</h1>'
    ) in html  # a date never breaks at its hyphens, and the site's name is not repeated
    assert "<title>2024-04-29〜2024-05-05 の号 | 最新論文ノート</title>" in html
    assert "ここでは、今週の論文を紹介します." in text
    link = '<a href="https://example.org/list" rel="noopener noreferrer nofollow">https://example.org/<wbr>list</a>'
    assert link in html
    assert "対象週:2024年4月29日〜2024年5月5日" in text
    # a numbered table of contents linking to the paper's section, with date and summary
    assert 'href="#paper-1"' in html and 'id="paper-1"' in html
    assert "目次" in text
    assert "発行日:2024年5月2日" in text
    assert "評価用のオープンな LM を作った." in text
    # the paper's metadata, arXiv over https, categories with their codes, linked
    assert (
        '<a href="https://arxiv.org/abs/2405.01535v1" lang="en">Prometheus 2: An Open Source Language Model</a>' in html
    )
    assert "著者 Seungone Kim, Juyoung Suk" in text
    assert "発行日 2024年5月2日" in text
    assert "最終更新日 2024年5月3日" in text
    assert "カテゴリ 計算と言語(cs.CL)、機械学習(cs.LG)" in text
    assert f'href="{reverse("papernotes:category_detail", kwargs={"code": "cs.LG"})}"' in html
    assert 'href="https://arxiv.org/pdf/2405.01535v1"' in html
    assert "http://arxiv.org" not in html
    # the abstract rendered from Markdown (its name "GPT-4" kept on one line), collapsible
    assert '<span class="nowrap">GPT-4</span> は<strong>よく</strong>評価に使われる.' in html
    assert '<details class="paper__abstract" id="paper-1-abstract">' in html
    # the Q&A: each question a collapsible pair with its anchor, the answer inside
    assert '<details class="qa__pair" id="paper-1-q1">' in html
    summary = html.split('<details class="qa__pair" id="paper-1-q1">', 1)[1].split("</summary>", 1)[0]
    assert ">Q</span>" in summary and "何を作ったのか?" in summary.replace("<wbr>", "")
    assert "評価用の LM です." in text
    assert 'href="#paper-1-q1"' in html
    assert 'data-expand="paper-1-qa"' in html and "すべて開く" in text
    # reading time: per paper and per issue, with the rate it assumes
    assert "読む時間 約 1 分" in text
    assert "読了の目安 約 1 分(500 字/分)" in text
    # the contents stay reachable: a sticky column, a bar with the 目次 button, a back link
    assert 'class="toc-side"' in html
    assert 'popovertarget="toc-popover"' in html
    assert "目次へ戻る(論文 1 から)" in text
    # the paper's own page, and the text and Markdown versions
    assert f'href="{reverse("papernotes:paper_detail", kwargs={"arxiv_id": "2405.01535"})}"' in html
    assert f'href="{_text_url("2024-04-29")}"' in html
    assert f'href="{_markdown_url("2024-04-29")}"' in html


def test_shared_category_names_show_arxivs_codes(client):
    # given a back issue whose paper shows "Machine Learning" twice (cs.LG and stat.ML)
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    shown = {
        "title": "Kolmogorov-Arnold Networks",
        "authors": ["Ziming Liu"],
        "first_published_on": "2024-04-30",
        "latest_updated_on": "2024-05-02",
        "pdf_url": "http://arxiv.org/pdf/2404.19756v2",
        "abs_url": "http://arxiv.org/abs/2404.19756v2",
        "category_names": ["Machine Learning", "Disordered Systems and Neural Networks", "Machine Learning"],
    }
    NoteFactory(issue=issue, position=1, state=APPROVED, paper_as_shown_data=shown, paper=PaperFactory(categories=[]))

    # when a reader opens the issue
    html = client.get(_detail_url("2024-04-29")).content.decode()

    # then each name carries its code, as arXiv shows them, and a code is never broken at a
    # hyphen across lines
    assert "機械学習(cs.LG)、無秩序系とニューラルネットワーク(cond-mat.dis-nn)、機械学習(stat.ML)" in _text(html)
    assert '<span class="code">(cond-mat.dis-nn)</span>' in html


def test_urls_in_a_japanese_intro_are_linked_without_the_words_around_them(client):
    # given an intro written as the blog writes it: no space between Japanese words and a
    # URL, a URL ending in a full stop, and two URLs glued together
    WeeklyIssueFactory(
        week_start=MONDAY,
        published=True,
        intro=(
            "ここでは、https://twitter.com/dair_ai で紹介された論文です.詳しくはhttps://example.org/a_(b).\n"
            "お勧め:https://www.chatpdf.com/https://scispace.com/などがあります."
        ),
    )

    # when a reader opens the issue
    html = client.get(_detail_url("2024-04-29")).content.decode()
    intro = html.split('<details class="issue__intro">', 1)[1].split("</details>", 1)[0]

    # then exactly the four URLs are links, each to itself, and the text reads as written
    links = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer nofollow">([^"]+?)</a>', intro.replace("<wbr>", ""))
    assert links == [
        ("https://twitter.com/dair_ai", "https://twitter.com/dair_ai"),
        ("https://example.org/a_(b)", "https://example.org/a_(b)"),
        ("https://www.chatpdf.com/", "https://www.chatpdf.com/"),
        ("https://scispace.com/", "https://scispace.com/"),
    ]
    assert "ここでは、" in _text(intro) and "で紹介された論文です.詳しくは" in _text(intro)
    assert "などがあります." in _text(intro)


def test_issue_page_shows_only_approved_notes(client):
    # given a published issue with an approved note and one still in review
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    NoteFactory(issue=issue, position=1, state=APPROVED, paper=PaperFactory(title="Approved Paper"))
    hidden = NoteFactory(
        issue=issue, position=2, state=NoteState.CHANGES_REQUESTED, paper=PaperFactory(title="Hidden Paper")
    )
    QuestionAnswerFactory(note=hidden, position=1, question="見せてはいけない質問?")

    # when a reader opens the page and its exports
    pages = [
        client.get(url).content.decode()
        for url in (_detail_url("2024-04-29"), _text_url("2024-04-29"), _markdown_url("2024-04-29"))
    ]

    # then only the approved note appears
    for page in pages:
        assert "Approved Paper" in page
        assert "Hidden Paper" not in page
        assert "見せてはいけない質問" not in page


def test_corrected_issue_shows_the_update_notice(client):
    # given an issue corrected after publication
    issue = _published_issue_with_papers(1)
    corrected_at = datetime.datetime(2024, 5, 8, 15, 30, tzinfo=datetime.UTC)  # 5/9 00:30 in Tokyo
    issue = set_issue_state(issue, IssueState.CORRECTED, corrected_at=corrected_at)

    # when a reader opens it, then the 更新 notice gives the date in Japan time
    text = _text(client.get(_detail_url("2024-04-29")).content.decode())
    assert "更新 2024年5月9日:この号は公開後に訂正されました。" in text
    # and the home page marks it too
    assert "更新" in _text(client.get(reverse("papernotes:home")).content.decode())


def test_issue_page_links_the_previous_and_next_issues(client):
    # given three published weeks and a draft after them
    before = WeeklyIssueFactory(week_start=MONDAY - datetime.timedelta(weeks=1), published=True)
    _published_issue_with_papers(1)
    after = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=2), published=True)
    draft = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=1))

    html = client.get(_detail_url("2024-04-29")).content.decode()

    assert f'rel="prev" href="{before.get_absolute_url()}"' in html
    assert f'rel="next" href="{after.get_absolute_url()}"' in html
    assert draft.get_absolute_url() not in html


def test_issue_page_orders_papers_and_qas_by_position(client):
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    second = NoteFactory(issue=issue, position=2, state=APPROVED, paper=PaperFactory(title="Second Paper"))
    first = NoteFactory(issue=issue, position=1, state=APPROVED, paper=PaperFactory(title="First Paper"))
    QuestionAnswerFactory(note=first, position=2, question="二番目の質問?")
    QuestionAnswerFactory(note=first, position=1, question="一番目の質問?")
    QuestionAnswerFactory(note=second, position=1, question="別の論文の質問?")

    html = client.get(_detail_url("2024-04-29")).content.decode().replace("<wbr>", "")

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
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    note = NoteFactory(issue=issue, position=1, state=APPROVED, summary=hostile, abstract_ja=hostile)
    QuestionAnswerFactory(note=note, position=1, question=hostile, answer=hostile)

    response = client.get(_detail_url("2024-04-29"))

    html = response.content.decode().lower()
    assert response.status_code == 200
    assert "答え" in html.replace("<wbr>", "")
    for dangerous in ("<script>", "onerror", "onclick", "javascript:", "<img"):
        assert dangerous not in html


def test_issue_page_runs_a_constant_number_of_queries(client, django_assert_num_queries):
    # given an issue with one paper, the page runs a fixed number of queries...
    _published_issue_with_papers(1, qas_per_paper=1)
    with django_assert_num_queries(ISSUE_PAGE_QUERIES):
        assert client.get(_detail_url("2024-04-29")).status_code == 200

    # ...and the same with thirty papers of eleven Q&A each
    WeeklyIssue.objects.all().delete()
    _published_issue_with_papers(30, qas_per_paper=11)
    with django_assert_num_queries(ISSUE_PAGE_QUERIES):
        response = client.get(_detail_url("2024-04-29"))
    assert response.status_code == 200
    assert _text(response.content.decode()).count("目次へ戻る") == 30


# --- caching ------------------------------------------------------------------------------


def test_issue_page_is_rendered_once_and_revalidated_without_rendering(client, django_assert_num_queries):
    # given a published issue a reader has loaded once
    _published_issue_with_papers(2)
    first = client.get(_detail_url("2024-04-29"))

    # then browsers must revalidate, shared caches may keep it briefly, with validators
    assert first["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert first["ETag"] and first["Last-Modified"]

    # when it is requested again, then it comes from the cache: the version stamp is the only query
    with django_assert_num_queries(1):
        again = client.get(_detail_url("2024-04-29"))
    assert again.status_code == 200
    assert again.content == first.content

    # and a revalidation with the ETag answers 304 with no body, from the stamp alone
    with django_assert_num_queries(1):
        not_modified = client.get(_detail_url("2024-04-29"), headers={"if-none-match": first["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"]
    # as does If-Modified-Since with the Last-Modified date
    since = client.get(_detail_url("2024-04-29"), headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304


def test_a_correction_of_one_answer_reaches_readers_at_once(client):
    # given a published issue that a reader has loaded
    issue = _published_issue_with_papers(1)
    etag = client.get(_detail_url("2024-04-29"))["ETag"]

    # when an answer is corrected after publication (no timestamp on the issue changes)
    qa = issue.notes.get().qas.first()
    qa.answer = "訂正された回答です."
    qa.save()

    # then the cached copy is neither confirmed nor served
    response = client.get(_detail_url("2024-04-29"), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert "訂正された回答です." in _text(response.content.decode())


def test_a_withdrawn_issue_is_gone_at_once_even_after_being_cached(client):
    # given a published issue in the cache
    issue = _published_issue_with_papers(1)
    for url in (_detail_url("2024-04-29"), _text_url("2024-04-29"), _markdown_url("2024-04-29")):
        assert client.get(url).status_code == 200

    # when it is withdrawn
    issue = set_issue_state(issue, IssueState.WITHDRAWN)

    # then its page and exports answer 410 Gone in Japanese, and nothing links to it
    for url in (_detail_url("2024-04-29"), _text_url("2024-04-29"), _markdown_url("2024-04-29")):
        response = client.get(url)
        assert response.status_code == 410
        assert "この号は取り下げられました" in response.content.decode()
        assert "Paper Number 1" not in response.content.decode()
    assert issue.get_absolute_url() not in client.get(reverse("papernotes:home")).content.decode()


# --- exports ------------------------------------------------------------------------------


def test_text_version_is_utf8_plain_text(client):
    issue = _published_issue_with_papers(2)

    response = client.get(_text_url("2024-04-29"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith(issue.title + "\n")
    assert "Paper Number 2" in body


def test_markdown_version_has_contents_metadata_abstract_and_qa(client):
    # given a published issue whose title has Markdown's special characters
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    paper = PaperFactory(arxiv_id="2405.01535", title="Prometheus [2]: *Evaluating* LMs", categories=["cs.CL"])
    note = NoteFactory(
        issue=issue, paper=paper, position=1, state=APPROVED, summary="評価用の LM.", abstract_ja="概要の本文."
    )
    QuestionAnswerFactory(note=note, position=1, question="何を作った?", answer="LM です.")

    response = client.get(_markdown_url("2024-04-29"))

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert body.startswith(f"# {issue.title}\n")
    assert "1. [Prometheus \\[2\\]: \\*Evaluating\\* LMs](#paper-1) (発行日: 2024年4月30日)" in body
    assert "- arXiv: <https://arxiv.org/abs/2405.01535v1>" in body
    assert "- カテゴリ: Computation and Language (cs.CL)" in body
    assert "### 概要\n\n概要の本文." in body
    assert "**Q: 何を作った?**\n\nA: LM です." in body


def test_markdown_contents_put_each_summary_on_its_own_line(client):
    # given an issue of two papers, each with a one-line summary
    _published_issue_with_papers(2)

    # when its Markdown version is rendered, as a site taking Markdown would
    body = client.get(_markdown_url("2024-04-29")).content.decode()
    html = markdown.markdown(body.split("## 目次", 1)[1].split("<a id=", 1)[0])

    # then each summary is a paragraph of its own, after its paper's date, not run on with it
    items = re.findall(r"<li>(.*?)</li>", html, re.DOTALL)
    assert len(items) == 2
    for item in items:
        paragraphs = re.findall(r"<p>(.*?)</p>", item, re.DOTALL)
        assert len(paragraphs) == 2
        assert paragraphs[0].endswith("日)") and "発行日" not in paragraphs[1]


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
    assert "2024-04-29〜2024-05-05 の号" in text
    assert text.count("目次へ戻る") == 10
    assert "Prometheus 2: An Open Source Language Model Specialized in Evaluating Other Language Models" in text
    assert "発行日 2024年5月2日" in text
    assert 'href="https://arxiv.org/pdf/2405.01535v1"' in page.content.decode()
    # and the text version is byte for byte the published issue
    assert text_version.content == sample_issue_bytes


# --- papers and categories --------------------------------------------------------------


def test_paper_page_is_a_permalink_listing_the_issues_it_appeared_in(client):
    # given a paper noted in two published issues and in a draft
    paper = PaperFactory(arxiv_id="2405.01535", title="Prometheus 2", categories=["cs.CL"])
    first = WeeklyIssueFactory(week_start=MONDAY, published=True)
    second = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=1), published=True)
    draft = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=2))
    NoteFactory(issue=first, paper=paper, position=1, state=APPROVED, summary="最初の要約.")
    newest = NoteFactory(issue=second, paper=paper, position=3, state=APPROVED, summary="新しい要約.")
    QuestionAnswerFactory(note=newest, position=1)
    NoteFactory(issue=draft, paper=paper, position=1, state=APPROVED, summary="下書きの要約.")

    # when a reader follows its permalink
    response = client.get(reverse("papernotes:paper_detail", kwargs={"arxiv_id": "2405.01535"}))

    # then the newest public note is shown, with both public issues listed
    html = response.content.decode()
    text = _text(html)
    assert response.status_code == 200
    assert "新しい要約." in text and "下書きの要約." not in text
    assert f'href="{first.get_absolute_url()}#paper-1"' in html
    assert f'href="{second.get_absolute_url()}#paper-3"' in html
    assert draft.get_absolute_url() not in html
    # and it is a reading page of its own: the title its h1, a way back to the issue at the top,
    # the 概要 open, the Q&A collapsible, its categories by their Japanese names
    assert re.search(r'<h1 class="paper__title paper__title--page"[^>]*>\s*<a [^>]*>Prometheus 2</a>\s*</h1>', html)
    assert html.count("<h1") == 1
    back = f'<p class="paper-page__back"><a href="{second.get_absolute_url()}#paper-3">← '
    assert back in html and html.index(back) < html.index("<h1")
    assert '<details class="paper__abstract" id="note-abstract" open>' in html
    assert '<details class="qa__pair" id="note-q1">' in html
    assert "カテゴリ 計算と言語(cs.CL)" in text
    # and a paper without public notes is a 404
    PaperFactory(arxiv_id="2405.09999")
    assert client.get(reverse("papernotes:paper_detail", kwargs={"arxiv_id": "2405.09999"})).status_code == 404


def test_category_pages_list_public_notes_by_code(client):
    issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    NoteFactory(
        issue=issue, position=1, state=APPROVED, paper=PaperFactory(title="Language Paper", categories=["cs.CL"])
    )
    NoteFactory(issue=issue, position=2, state=APPROVED, paper=PaperFactory(title="Vision Paper", categories=["cs.CV"]))
    NoteFactory(
        issue=issue, position=3, state=NoteState.DRAFTED, paper=PaperFactory(title="Draft CL", categories=["cs.CL"])
    )

    index = _text(client.get(reverse("papernotes:category_list")).content.decode())
    page = _text(client.get(reverse("papernotes:category_detail", kwargs={"code": "cs.CL"})).content.decode())

    assert "計算と言語(cs.CL) 1 本" in index
    assert "コンピュータビジョンとパターン認識(cs.CV) 1 本" in index
    assert "計算と言語(cs.CL)" in page and "arXiv: Computation and Language" in page
    assert "Language Paper" in page and "Vision Paper" not in page and "Draft CL" not in page
    assert client.get(reverse("papernotes:category_detail", kwargs={"code": "xx.YY"})).status_code == 404


# --- feed, sitemap, metadata -------------------------------------------------------------


def test_feed_is_atom_with_one_entry_per_public_issue(client):
    _published_issue_with_papers(2)
    WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=1))  # a draft

    response = client.get(reverse("papernotes:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry")
    assert len(entries) == 1
    assert entries[0].find(f"{atom}link").get("href").endswith("/issues/2024-04-29/")
    assert "Paper Number 2" in entries[0].find(f"{atom}summary").text


def test_sitemap_lists_public_issues_and_papers_only(client):
    issue = _published_issue_with_papers(1)
    draft = WeeklyIssueFactory(week_start=MONDAY + datetime.timedelta(weeks=1))
    NoteFactory(issue=draft, position=1, state=APPROVED, paper=PaperFactory(arxiv_id="2405.07777"))

    # the sitemap is an index of pages; a crawler reads each page it lists
    index = client.get("/sitemap.xml").content.decode()
    pages = re.findall(r"<loc>http://testserver(/sitemap-[a-z]+\.xml(?:\?p=\d+)?)</loc>", index)
    assert pages == ["/sitemap-pages.xml", "/sitemap-issues.xml", "/sitemap-papers.xml"]
    body = "".join(client.get(page).content.decode() for page in pages)

    assert issue.get_absolute_url() in body
    assert reverse("papernotes:paper_detail", kwargs={"arxiv_id": issue.notes.get().paper.arxiv_id}) in body
    assert draft.get_absolute_url() not in body and "2405.07777" not in body


def test_pages_carry_open_graph_metadata_a_favicon_and_the_feed(client):
    _published_issue_with_papers(1)

    html = client.get(_detail_url("2024-04-29")).content.decode()

    assert '<meta property="og:type" content="article">' in html
    assert '<meta property="og:title" content="2024-04-29〜2024-05-05 の号">' in html
    assert '<meta property="og:site_name" content="最新論文ノート">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert 'rel="icon"' in html and 'type="application/atom+xml"' in html
    assert client.get("/favicon.ico").status_code == 200


# --- what readers must not see -----------------------------------------------------------


@pytest.mark.parametrize("url_name", ["papernotes:issue_detail", "papernotes:issue_text", "papernotes:issue_markdown"])
@pytest.mark.parametrize(
    ("week", "state"),
    [
        ("2024-04-29", IssueState.COLLECTING),  # the issue exists but is a draft
        ("2024-04-29", IssueState.IN_REVIEW),
        ("2024-04-29", IssueState.READY),  # ready is still not published
        ("2024-04-29", IssueState.SCHEDULED),
        ("2024-05-06", IssueState.PUBLISHED),  # no issue that week
        ("2024-02-30", IssueState.PUBLISHED),  # not a date
        ("2024-04-30", IssueState.PUBLISHED),  # a Tuesday, inside a published week
    ],
)
def test_unpublished_unknown_or_invalid_weeks_are_404(client, url_name, week, state):
    if state == IssueState.PUBLISHED:
        issue = WeeklyIssueFactory(week_start=MONDAY, published=True)
    else:
        issue = WeeklyIssueFactory(week_start=MONDAY, state=state)
    NoteFactory(issue=issue, position=1, state=APPROVED, paper=PaperFactory(title="Secret Draft Paper"))

    response = client.get(reverse(url_name, kwargs={"week": week}))

    assert response.status_code == 404
    assert "Secret Draft Paper" not in response.content.decode()


def test_not_found_page_is_japanese(client):
    response = client.get(_detail_url("2031-01-06"))

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="ja">' in html
    assert "ページが見つかりません" in html
    assert f'href="{reverse("papernotes:home")}"' in html


def test_feed_reads_back_in_a_feed_parser(client):
    import feedparser

    # given two published issues, one corrected
    _published_issue_with_papers(2)
    corrected = _published_issue_with_papers(1, week_start=MONDAY - datetime.timedelta(weeks=1))
    corrected = set_issue_state(
        corrected, IssueState.CORRECTED, corrected_at=datetime.datetime(2024, 5, 3, tzinfo=datetime.UTC)
    )

    # when a feed reader parses the feed
    feed = feedparser.parse(client.get(reverse("papernotes:feed")).content)

    # then it is well-formed Atom with both issues, newest first, linking to their pages
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "最新論文ノート"
    # (titled without repeating the feed's name)
    assert [entry.title for entry in feed.entries] == [
        "2024-04-29〜2024-05-05 の号",
        "2024-04-22〜2024-04-28 の号",
    ]
    assert feed.entries[0].link == "http://testserver/issues/2024-04-29/"
    assert feed.entries[1].updated.startswith("2024-05-03")
    assert "Paper Number 2 of 2024-04-29" in feed.entries[0].summary
    # and each entry names its author, and links its papers absolutely
    assert [entry.author for entry in feed.entries] == ["最新論文ノート", "最新論文ノート"]
    assert feed.feed.author == "最新論文ノート"
    hrefs = re.findall(r'href="([^"]+)"', feed.entries[0].summary)
    assert "http://testserver/issues/2024-04-29/#paper-2" in hrefs
    assert all(href.startswith(("http://", "https://")) for href in hrefs)


READER_PAGES = {
    "home": lambda issue: reverse("papernotes:home"),
    "issue page": lambda issue: issue.get_absolute_url(),
    "text export": lambda issue: reverse("papernotes:issue_text", args=[issue.week_start]),
    "Markdown export": lambda issue: reverse("papernotes:issue_markdown", args=[issue.week_start]),
    "paper page": lambda issue: reverse("papernotes:paper_detail", args=[issue.notes.first().paper.arxiv_id]),
    "category list": lambda issue: reverse("papernotes:category_list"),
    "category page": lambda issue: reverse("papernotes:category_detail", args=["cs.CL"]),
    "search": lambda issue: reverse("papernotes:search") + "?q=研究",
    "feed": lambda issue: reverse("papernotes:feed"),
}


@pytest.mark.parametrize("page", READER_PAGES)
def test_reader_pages_render_in_a_flat_number_of_queries(client, page):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from papernotes.caching import local_pages

    def rendered_queries(url: str) -> int:
        cache.clear()
        local_pages._entries.clear()  # rendering is what is counted, not the cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    # given a published issue with one paper, rendered once
    issue = _published_issue_with_papers(1, qas_per_paper=11)
    url = READER_PAGES[page](issue)
    one = rendered_queries(url)

    # when it has thirty papers, and the archive has another ten issues
    for position in range(2, 31):
        note = NoteFactory(issue=issue, position=position, state=APPROVED)
        for qa_position in range(1, 12):
            QuestionAnswerFactory(note=note, position=qa_position)
    for weeks in range(1, 11):
        _published_issue_with_papers(3, week_start=MONDAY - datetime.timedelta(weeks=weeks))

    # then the page is rendered with as many queries as before
    assert rendered_queries(url) == one
