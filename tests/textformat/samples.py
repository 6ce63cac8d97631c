"""Builders of weekly issue texts for tests: the sample and variations of it."""

import datetime

from papernotes.textformat import IssueDocument, PaperSection, QAPair


def make_document(*, week_start=datetime.date(2025, 6, 23), papers=3, qas=10, intro="今週の論文です.") -> IssueDocument:
    sections = []
    for number in range(1, papers + 1):
        sections.append(
            PaperSection(
                title=f"Paper Number {number}: A Study",
                summary=f"{number} 本目の論文の一行要約です.",
                authors=("Ada Lovelace", "Alan Turing", f"Author {number}"),
                first_published_on=week_start + datetime.timedelta(days=papers - number),
                latest_updated_on=week_start + datetime.timedelta(days=30),
                pdf_url=f"http://arxiv.org/pdf/2506.{number:05d}v{number % 3 + 1}",
                category_names=("Machine Learning", "Computation and Language", "Machine Learning"),
                abstract_ja=f"これは {number} 本目の論文の概要です.https://example.org/{number} で公開されています.",
                qas=tuple(
                    QAPair(question=f"質問 {number}-{q} は何ですか?", answer=f"回答 {number}-{q} です.")
                    for q in range(1, qas + 1)
                ),
            )
        )
    return IssueDocument(week_start=week_start, intro=intro, papers=tuple(sections))
