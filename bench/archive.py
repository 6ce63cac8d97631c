"""A ten-year archive for benchmarks: 520 published issues of ten notes with ten Q&A each.

The sample issue is the latest; the rest is generated Japanese text with a vocabulary
like real notes. Shared by ``bench/web.py`` and ``bench/search.py``. ``text_scale``
multiplies the length of the generated 概要 and answers (6 and 2 sentences, about 170 and
60 characters: the sample issue's are 625 and 187 on average).
"""

import datetime
import itertools
import os
import random
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "weekly-issue-2024-04-29.txt"

# Generated Japanese text with a vocabulary like real notes: ~2,500 technical terms (katakana
# and kanji morphemes and their compounds), drawn with a Zipf distribution, so some words
# (評価, モデル) are in most notes and most are in a few.
KATAKANA = [
    "モデル",
    "エージェント",
    "ベンチマーク",
    "トークン",
    "プロンプト",
    "データセット",
    "アーキテクチャ",
    "パラメータ",
    "トランスフォーマー",
    "エンコーダ",
    "デコーダ",
    "アテンション",
    "ファインチューニング",
    "タスク",
    "ロボット",
    "シミュレーション",
    "パイプライン",
    "フレームワーク",
    "アルゴリズム",
    "ネットワーク",
    "ポリシー",
    "スケーリング",
    "キャッシュ",
    "メモリ",
    "コンテキスト",
    "マルチモーダル",
    "テキスト",
    "画像",
    "動画",
    "音声",
    "コード",
    "グラフ",
    "レイヤー",
    "ヘッド",
    "ルーティング",
    "エキスパート",
    "サンプリング",
    "デコーディング",
    "カリキュラム",
    "フィードバック",
]
KANJI = [
    "評価",
    "学習",
    "推論",
    "生成",
    "検索",
    "蒸留",
    "圧縮",
    "量子化",
    "最適化",
    "正則化",
    "分類",
    "予測",
    "計画",
    "探索",
    "報酬",
    "選好",
    "整合",
    "安全性",
    "幻覚",
    "頑健性",
    "効率",
    "精度",
    "速度",
    "費用",
    "規模",
    "長文脈",
    "多言語",
    "翻訳",
    "要約",
    "質問応答",
    "数学",
    "医療",
    "法律",
    "化学",
    "物理",
    "言語",
    "視覚",
    "強化学習",
    "事前学習",
    "自己教師",
]
TERMS = KANJI + KATAKANA + [a + b for a in KATAKANA for b in KANJI] + [b + a for b in KANJI for a in KATAKANA[:20]]
TAILS = ["を提案した", "を評価した", "を改善した", "が有効であることを示した", "の限界を分析した", "を比較した"]
LINKS = ["に関する", "を用いた", "のための", "における", "と"]
TITLE_WORDS = [
    "Scaling",
    "Efficient",
    "Transformer",
    "Agents",
    "Reasoning",
    "Diffusion",
    "Retrieval",
    "Alignment",
    "Benchmark",
    "Language",
    "Models",
    "Vision",
    "Learning",
    "Long-Context",
    "Sparse",
    "Mixture",
]
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML", "cs.IR", "cs.RO", "cs.NE"]


def _zipf_weights(count: int) -> list[float]:
    return [1 / (rank + 1) ** 1.1 for rank in range(count)]


# Base words first (評価 the most frequent), then the compounds in a fixed random order.
_TERM_ORDER = KANJI + KATAKANA + random.Random(7).sample(TERMS[len(KANJI) + len(KATAKANA) :], len(TERMS) - 80)
# Cumulative, once: choices() with plain weights sums all 2,500 of them on every call.
_TERM_CUM_WEIGHTS = list(itertools.accumulate(_zipf_weights(len(TERMS))))


def term(rng: random.Random) -> str:
    return rng.choices(_TERM_ORDER, cum_weights=_TERM_CUM_WEIGHTS)[0]


def sentence(rng: random.Random) -> str:
    parts = [term(rng) + rng.choice(LINKS) for _ in range(rng.randint(1, 3))]
    return "".join(parts) + term(rng) + rng.choice(TAILS) + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return "".join(sentence(rng) for _ in range(sentences))


# Latin names as notes write them (GPT-4 three ways), for searches of Latin words and numbers.
NAMES = ["GPT-4", "GPT 4", "GPT4", "Llama 3", "LLM", "RLHF", "Transformer", "Prometheus 2", "C++", "BERT"]


def with_names(rng: random.Random, text: str, share: float = 0.15) -> str:
    """``text`` with a Latin name before some of its sentences."""
    sentences = text.split(".")[:-1]
    return "".join((rng.choice(NAMES) + "の" if rng.random() < share else "") + s + "." for s in sentences)


def build_archive(database: str, *, text_scale: float = 1, names: bool = False) -> None:
    """Create the scratch database ``database`` and fill it (in this process, with the
    project's settings, which must point at that database). With ``names``, Latin names
    (:data:`NAMES`) appear in the 概要 and answers."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from papernotes.models import Note, NoteState, Paper, PaperAsShown, QuestionAnswer, TextSource, WeeklyIssue

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("import_issue", str(SAMPLE), stdout=quiet)
    rng = random.Random(20240429)
    names_rng = random.Random(4)

    def texts(text: str) -> str:
        return with_names(names_rng, text) if names else text

    latest = datetime.date(2024, 4, 29)
    started = time.perf_counter()
    issues = [
        WeeklyIssue(
            week_start=latest - datetime.timedelta(weeks=week),
            intro="ここでは、今週の注目論文を紹介します.",
            state="published",
            published_at=datetime.datetime.combine(
                latest - datetime.timedelta(weeks=week - 1), datetime.time(9), tzinfo=datetime.UTC
            ),
        )
        for week in range(1, 520)
    ]
    WeeklyIssue.objects.bulk_create(issues, batch_size=1000)
    papers, notes, qas = [], [], []
    for number, issue in enumerate(issues):
        for position in range(1, 11):
            day = issue.week_start - datetime.timedelta(days=rng.randint(1, 6))
            papers.append(
                Paper(
                    arxiv_id=f"{day:%y%m}.{number * 10 + position:05d}",
                    title=" ".join(rng.sample(TITLE_WORDS, 5)),
                    authors=["Ada Lovelace", "Alan Turing"],
                    first_published_on=day,
                    latest_updated_on=day,
                    categories=rng.sample(CATEGORIES, 2),
                    pdf_url=f"https://arxiv.org/pdf/{day:%y%m}.{number * 10 + position:05d}v1",
                    abs_url=f"https://arxiv.org/abs/{day:%y%m}.{number * 10 + position:05d}v1",
                )
            )
    Paper.objects.bulk_create(papers, batch_size=2000)
    for index, paper in enumerate(papers):
        notes.append(
            Note(
                issue=issues[index // 10],
                paper=paper,
                position=index % 10 + 1,
                state=NoteState.APPROVED,
                summary=sentence(rng),
                summary_source=TextSource.IMPORTED,
                abstract_ja=texts(paragraph(rng, round(6 * text_scale))),
                abstract_ja_source=TextSource.IMPORTED,
                paper_as_shown_data=PaperAsShown.of_paper(paper).to_json(),
            )
        )
    Note.objects.bulk_create(notes, batch_size=2000)
    for note in notes:
        for position in range(1, 11):
            qas.append(
                QuestionAnswer(
                    note=note,
                    position=position,
                    question=term(rng) + "とは何ですか?",
                    question_source=TextSource.IMPORTED,
                    answer=texts(paragraph(rng, round(2 * text_scale))),
                    answer_source=TextSource.IMPORTED,
                )
            )
    QuestionAnswer.objects.bulk_create(qas, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = (WeeklyIssue.objects.count(), Note.objects.count(), QuestionAnswer.objects.count())
    seconds = time.perf_counter() - started
    print(f"archive: {counts[0]} issues, {counts[1]} notes, {counts[2]} Q&A (built in {seconds:.0f} s)")
