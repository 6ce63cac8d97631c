"""parse_arxiv_id: every form an editor pastes reads as one canonical reference."""

import pytest

from papernotes.ingestion.ids import ArxivRef, InvalidArxivId, looks_like_arxiv_url, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        ("2405.01535", "2405.01535", None),
        ("2405.01535v2", "2405.01535", 2),
        ("arXiv:2405.01535", "2405.01535", None),
        ("ARXIV:2405.01535v3", "2405.01535", 3),
        ("arxiv: 2405.01535", "2405.01535", None),
        ("https://arxiv.org/abs/2405.01535", "2405.01535", None),
        ("http://arxiv.org/abs/2405.01535v1", "2405.01535", 1),
        ("https://www.arxiv.org/abs/2405.01535", "2405.01535", None),
        ("http://www.arxiv.org/pdf/2506.04321v2", "2506.04321", 2),
        ("https://arxiv.org/pdf/2405.01535v2.pdf", "2405.01535", 2),
        ("https://arxiv.org/pdf/2405.01535", "2405.01535", None),
        ("https://export.arxiv.org/abs/2405.01535", "2405.01535", None),
        ("arxiv.org/abs/2405.01535", "2405.01535", None),
        ("https://arxiv.org/html/2405.01535v1", "2405.01535", 1),
        ("https://arxiv.org/abs/2405.01535?context=cs.CL#section", "2405.01535", None),
        ("https://doi.org/10.48550/arXiv.2405.01535", "2405.01535", None),
        ("0704.0001", "0704.0001", None),
        ("1412.9999v4", "1412.9999", 4),
        ("1501.00001", "1501.00001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v1", "hep-th/9901001", 1),
        ("arXiv:hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001", 2),
        ("https://arxiv.org/abs/math.AG/0601001", "math/0601001", None),
        ("math.AG/0601001", "math/0601001", None),
        ("  2405.01535\n", "2405.01535", None),
        ("<https://arxiv.org/abs/2405.01535>", "2405.01535", None),
        ("(2405.01535),", "2405.01535", None),
        ("https://arxiv.org/abs/2405.01535.", "2405.01535", None),
        ("2405.01535v2.pdf", "2405.01535", 2),
        # Capitals, as some editors and chat tools write URLs
        ("HTTPS://ARXIV.ORG/ABS/2405.01535", "2405.01535", None),
        ("Https://Arxiv.org/Pdf/2405.01535V2.PDF", "2405.01535", 2),
        ("HTTPS://ARXIV.ORG/ABS/HEP-TH/9901001", "hep-th/9901001", None),
        # Pages about one arXiv paper on the sites the list links to
        ("https://huggingface.co/papers/2405.01535", "2405.01535", None),
        ("https://huggingface.co/papers/2405.01535#community", "2405.01535", None),
        ("huggingface.co/papers/2405.01535", "2405.01535", None),
        ("https://hf.co/papers/2405.01535", "2405.01535", None),
        ("https://www.alphaxiv.org/abs/2405.01535", "2405.01535", None),
        ("https://alphaxiv.org/abs/2405.01535v3", "2405.01535", 3),
        ("https://www.alphaxiv.org/overview/2405.01535", "2405.01535", None),
        ("alphaxiv.org/overview/2405.01535", "2405.01535", None),
    ],
)
def test_accepts_every_common_form(text, arxiv_id, version):
    # Given a paper reference as editors paste it
    # When it is parsed
    ref = parse_arxiv_id(text)
    # Then the id is canonical and the version kept apart
    assert ref == ArxivRef(arxiv_id, version)


def test_versioned_form_names_the_version_only_when_known():
    assert parse_arxiv_id("2405.01535v2").versioned == "2405.01535v2"
    assert parse_arxiv_id("2405.01535").versioned == "2405.01535"
    assert str(parse_arxiv_id("hep-th/9901001v1")) == "hep-th/9901001v1"


def test_old_style_subject_class_does_not_make_a_second_paper():
    # Given the same old paper with and without its subject class
    # Then both read as arXiv's canonical id, so a list can spot the duplicate
    assert parse_arxiv_id("math.AG/0601001v2").arxiv_id == parse_arxiv_id("math/0601001").arxiv_id


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("hello", "arXiv ID として解釈できません: hello"),
        ("2405.0153", "arXiv ID の年月または番号の桁数が正しくありません: 2405.0153"),  # 4 digits after 2014
        ("1403.12345", "桁数が正しくありません: 1403.12345"),  # 5 digits before 2015
        ("2413.01535", "年月または番号"),  # month 13
        ("0612.0001", "年月または番号"),  # before the new scheme started (0704)
        ("2405.01535v0", "arXiv ID として解釈できません"),
        ("hep_th/9901001", "arXiv ID として解釈できません"),
        ("foo-bar/9901001", "分野名または年月が正しくありません: foo-bar/9901001"),
        ("hep-th/9913001", "分野名または年月"),
        ("https://example.org/abs/2405.01535", "arXiv の URL ではありません: https://example.org/abs/2405.01535"),
        ("https://arxiv.org/list/cs.CL/recent", "論文の ID が含まれていません"),
        ("ftp://arxiv.org/abs/2405.01535", "arXiv の URL ではありません"),
        # The same sites also host models, data sets and blogs: those are not papers
        ("https://huggingface.co/CohereForAI/c4ai-command-a-03-2025", "arXiv の URL ではありません"),
        ("https://huggingface.co/papers", "arXiv の URL ではありません"),
        ("https://huggingface.co/datasets/2405.01535", "arXiv の URL ではありません"),
        ("https://huggingface.co/papers/2405.0153", "桁数が正しくありません"),
        ("https://www.alphaxiv.org/explore", "arXiv の URL ではありません"),
        ("https://huggingface.co.example.com/papers/2405.01535", "arXiv の URL ではありません"),
    ],
)
def test_rejects_with_a_japanese_message_naming_the_input(text, fragment):
    # Given something that is not an arXiv paper id
    # When it is parsed
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    # Then the editor reads why, with what they typed
    assert fragment in str(info.value)
    assert info.value.value == text
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["", "   ", "<>"])
def test_empty_input_is_refused(text):
    with pytest.raises(InvalidArxivId, match="arXiv ID が空です"):
        parse_arxiv_id(text)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2405.01535", True),
        ("http://www.arxiv.org/pdf/2506.04321v2", True),
        ("https://export.arxiv.org/abs/2405.01535", True),
        ("https://arxiv.org/list/cs.CL/recent", True),  # arXiv, though not a paper
        ("arxiv.org/abs/2405.01535", True),
        ("https://doi.org/10.48550/arXiv.2405.01535", True),
        ("https://example.org/post", False),
        ("https://notarxiv.org/abs/2405.01535", False),
        ("https://x.com/omarsar0/status/1", False),
        ("HTTPS://ARXIV.ORG/ABS/2405.01535", True),
        ("https://huggingface.co/papers/2405.01535", True),
        ("https://www.alphaxiv.org/overview/2405.01535", True),
        ("https://huggingface.co/meta-llama/Llama-3-8B", False),  # a model, not a paper
        ("https://huggingface.co/blog/some-post", False),
        ("2405.01535", False),
        ("", False),
    ],
)
def test_looks_like_arxiv_url(url, expected):
    assert looks_like_arxiv_url(url) is expected


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8029\\@arxiv.org/abs/2405.01535",
        "https://evil.example\\@arxiv.org/abs/2405.01535",
        "https://user:pass@arxiv.org/abs/2405.01535",
        "https://arxiv.org@evil.example/abs/2405.01535",
    ],
)
def test_urls_that_parsers_read_differently_are_not_papers(text):
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id(text)

    assert text in caught.value.message or "URL" in caught.value.message
