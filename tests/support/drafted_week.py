"""A machine-drafted week, as drafting leaves it, for measuring the quality checks and
for the review screen's browser tests.

Ten papers of the sample week (the arXiv metadata of the fixture: titles, authors,
abstracts) get body passages written here (English prose with numbers, two tables, chart
text and references, as extraction stores them) and notes drafted in the shape of the
sample issue's texts: a one-line summary, a Japanese abstract, ten Q&A pairs whose
answers start and end with the phrases a model repeats (「この論文では、」 …
「これにより、…の有効性が示されています.」) and carry numbers from the passages and
tables, written as models write them: exactly, scaled (7B → 70億), with a unit glued on
(16GB, 120ms), rounded (38.77 → 38.8%) or approximated (約39%). Ordinary English words
kept in Latin script appear in both cases (「Sparse」 and 「sparse」), as they do in the
English text. Each answer has its evidence (passage, pages, quote).

A few real defects are planted, at about the rate editors meet them, and listed in
``DraftedWeek.planted`` so a measurement can say how many the checks still catch:
a number the paper does not state, a name written two ways (「LLaMA」/「Llama」, Latin
and katakana), an answer repeating another one.

Everything is deterministic for a given seed; nothing here is third-party text except
the arXiv metadata (CC0) the tests already use.
"""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from papernotes.models import (
    AnswerEvidence,
    IssueState,
    Note,
    NoteState,
    Paper,
    Passage,
    QuestionAnswer,
    TextSource,
    WeeklyIssue,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv-week-2024-04-29.json"
WEEK = datetime.date(2024, 4, 29)

# Per paper: the method's name as the paper writes it, and its katakana form (for a planted variant).
PROFILES = (
    ("Prometheus 2", "プロメテウス2"),
    ("SPPO", None),
    ("Logit Lens", "ロジットレンズ"),
    ("MTP", None),
    ("Long-context ICL", None),
    ("KAN", None),
    ("RAG", None),
    ("Adapt-LLM", "アダプト-LLM"),
    ("Med-Gemini", "メド・ジェミニ"),
    ("MLLM", None),
)
BENCHMARKS = ("MMLU", "GSM8K", "HumanEval", "MBPP", "AlpacaEval 2.0", "MedQA", "PopQA", "Arena-Hard", "MT-Bench")
BASELINES = ("GPT-4", "Llama 3", "Mistral-7B", "Claude 3 Opus", "Mixtral-8x7B", "DPO")
# Ordinary English words a model leaves in Latin script, each with a Japanese phrase using it.
ORDINARY = (
    ("sparse", "{w}な表現を使うことで計算量を抑えています"),
    ("attention", "{w}の重みを層ごとに分析しています"),
    ("prompt", "{w}の書き方を変えても結果が安定しています"),
    ("decoder", "{w}の出力を直接比較しています"),
    ("reward", "{w}の設計が学習の安定性を左右します"),
    ("embedding", "{w}の空間で近い例を選んでいます"),
    ("token", "{w}ごとの損失を集計しています"),
    ("benchmark", "{w}の選び方が評価に影響すると指摘しています"),
)
EXPLANATIONS = (
    "{name}は、既存の手法が抱える評価の偏りを小さくすることを目的としています.",
    "{name}では、学習データの質を保つために人手による確認を組み合わせています.",
    "{name}の設計は、推論時の計算を増やす代わりに学習時の計算を減らすという考え方に基づいています.",
    "著者らは、{name}の限界として、英語以外の言語での検証が不十分であることを挙げています.",
    "{name}は、公開されたモデルとデータだけで再現できるように作られています.",
    "先行研究と異なり、{name}は外部の評価器を必要としません.",
    "{name}の学習は二段階で行われ、最初の段階で基本的な能力を、次の段階で指示への追従を学びます.",
    "失敗例の分析から、{name}は長い入力の後半にある情報を見落としやすいことが分かりました.",
    "{name}のコードとモデルの重みは公開されており、他の研究者が追試できます.",
    "今後の課題として、{name}をより大きなモデルや別の分野に広げることが挙げられています.",
    "{name}は、人間の評価者との一致度を高めるために、評価基準を細かく定義しています.",
    "{name}が有効なのは、似た例を文脈の中で参照できる場合であると分析されています.",
)
QUESTIONS = (
    "{name}の主な目的は何ですか?",
    "{name}はどのように学習されますか?",
    "{name}の性能は{base}と比べてどうですか?",
    "{bench}での結果について教えてください.",
    "{name}の計算コストはどの程度ですか?",
    "この研究で使われたデータセットについて説明してください.",
    "{name}の限界は何ですか?",
    "{name}は既存の手法とどこが違いますか?",
    "実験の設定について詳しく教えてください.",
    "この研究の結果は今後の研究にどのような影響を与えますか?",
)
OPENINGS = ("この論文では、", "本研究では、", "論文によると、", "", "著者らによれば、")
CLOSINGS = (
    "これにより、{name}の有効性が示されています.",
    "この結果は、提案手法が実用的であることを示唆しています.",
    "",
    "",
)
COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 8: "eight", 12: "twelve"}


@dataclass
class Fact:
    english: str  # a sentence of the paper's body
    japanese: str  # how the draft states it
    values: tuple[float, ...] = ()


@dataclass
class Planted:
    kind: str  # "number", "name", "repeat"
    arxiv_id: str
    detail: str


@dataclass
class DraftedWeek:
    issue: WeeklyIssue
    planted: list[Planted] = field(default_factory=list)


def build_drafted_week(
    *, week_start: datetime.date = WEEK, seed: int = 0, state: str = NoteState.DRAFTED
) -> DraftedWeek:
    """Create the issue, its ten papers with passages, and their machine-drafted notes."""
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))["papers"]
    issue = WeeklyIssue.objects.create(
        week_start=week_start, state=IssueState.IN_REVIEW, intro="今週の論文を紹介します."
    )
    week = DraftedWeek(issue=issue)
    for position, (record, profile) in enumerate(zip(records, PROFILES, strict=True), start=1):
        rng = random.Random(seed * 1000 + position)
        paper, _created = Paper.objects.get_or_create(
            arxiv_id=record["arxiv_id"],
            defaults={
                "title": record["title"],
                "authors": record["authors"],
                "abstract_en": record["abstract_en"],
                "categories": record.get("categories") or ["cs.CL"],
                "first_published_on": datetime.date(2024, 4, 30),
                "latest_updated_on": datetime.date(2024, 4, 30),
                "pdf_url": f"https://arxiv.org/pdf/{record['arxiv_id']}v1",
                "abs_url": f"https://arxiv.org/abs/{record['arxiv_id']}v1",
            },
        )
        _draft_paper(week, paper, position, profile, rng, state)
    return week


def _facts(name: str, rng: random.Random) -> list[Fact]:
    bench = rng.sample(BENCHMARKS, 3)
    base = rng.sample([b for b in BASELINES if b != name], 3)
    acc, gain = round(rng.uniform(55, 90), 1), round(rng.uniform(1.5, 9.5), 1)
    params, tokens = rng.choice((7, 8, 13, 70)), rng.choice((1, 2, 4, 15))
    gpus, memory, latency = rng.choice((8, 16, 64, 256)), rng.choice((24, 40, 80)), rng.choice((35, 120, 480))
    speed = round(rng.uniform(1.5, 3.5), 1)
    win = round(rng.uniform(25, 60), 2)
    datasets, tasks = rng.choice((3, 4, 5, 6)), rng.choice((12, 18, 25))
    share = rng.choice((0.42, 0.35, 0.6))
    drop = round(rng.uniform(1.0, 6.0), 1)
    examples, annotators = rng.choice((20_000, 60_000, 150_000)), rng.choice((12, 40))
    return [
        Fact(
            f"On {bench[0]}, {name} reaches {acc}% accuracy, {gain} points above {base[0]}.",
            f"{bench[0]}では{acc}%の正解率を達成し、{base[0]}を{gain}ポイント上回ります.",
        ),
        Fact(
            f"The model has {params}B parameters and is trained on {tokens}T tokens.",
            f"モデルは{params}Bのパラメータを持ち、{tokens}兆トークンで学習されています.",
        ),
        Fact(
            f"Training runs on {gpus} GPUs with {memory}GB of memory each, and decoding takes {latency}ms per token.",
            f"学習には{memory}GBのメモリを持つGPUを{gpus}台使い、生成には1トークンあたり{latency}msかかります.",
        ),
        Fact(
            f"Inference is {speed}x faster than with {base[1]}.",
            f"推論は{base[1]}より{speed}倍高速です.",
        ),
        Fact(
            f"The length-controlled win rate against {base[2]} rises to {win}%.",
            rng.choice(
                (
                    f"{base[2]}に対する勝率は約{round(win)}%まで向上します.",
                    f"{base[2]}に対する勝率は{win:.1f}%に達します.",
                    f"{base[2]}に対する勝率は{win}%に達します.",
                )
            ),
        ),
        Fact(
            f"We evaluate on {COUNT_WORDS[datasets]} datasets covering {tasks} tasks.",
            f"{datasets}つのデータセット、{tasks}のタスクで評価しています.",
        ),
        Fact(
            f"About {round(share * 100)} percent of the errors come from retrieval rather than reasoning.",
            f"誤りの約{round(share * 100)}%は、推論ではなく検索に由来します.",
        ),
        Fact(
            f"Scores on {bench[1]} and {bench[2]} improve in every one of the {rng.choice((3, 5))} seeds we ran.",
            f"{bench[1]}と{bench[2]}のスコアは、試したすべてのシードで向上しました.",
        ),
        Fact(
            f"An ablation without the second training stage lowers the average score by {drop} points.",
            f"2段階目の学習を省くと、平均スコアが{drop}ポイント下がります.",
        ),
        Fact(
            f"The training set contains {examples:,} examples written by {annotators} annotators.",
            f"学習データは{examples // 10_000}万件で、{annotators}人のアノテーターが作成しました.",
        ),
    ]


def _table(name: str, number: int, rng: random.Random) -> tuple[str, list[Fact]]:
    bench = rng.choice(BENCHMARKS)
    rows = [(name, round(rng.uniform(60, 90), 2), round(rng.uniform(30, 60), 2))]
    rows += [(base, round(rng.uniform(40, 80), 2), round(rng.uniform(10, 40), 2)) for base in rng.sample(BASELINES, 3)]
    text = "\n".join(
        [f"Table {number}: Results on {bench}.", f"Model | {bench} | Win rate (%)"]
        + [f"{model} | {score:.2f} | {win:.2f}" for model, score, win in rows]
    )
    ours, other = rows[0], rows[1]
    facts = [
        Fact(
            f"{ours[0]} | {ours[1]:.2f} | {ours[2]:.2f}",
            f"表{number}によると、{name}の{bench}のスコアは{ours[1]:.2f}で、{other[0]}の{other[1]:.2f}を上回ります.",
        ),
        Fact(
            f"{ours[0]} | {ours[1]:.2f} | {ours[2]:.2f}",
            f"表{number}では、{name}の勝率が{ours[2]:.1f}%と最も高くなっています.",
        ),
    ]
    return text, facts


def _machine_texts(**texts: str) -> dict[str, str]:
    """Provenanced fields as a machine draft leaves them: the text, its source, its draft."""
    fields = {}
    for name, text in texts.items():
        fields.update({name: text, f"{name}_source": TextSource.MACHINE, f"{name}_machine_draft": text})
    return fields


def _draft_paper(week: DraftedWeek, paper: Paper, position: int, profile, rng: random.Random, state: str) -> None:
    name, katakana = profile
    facts = _facts(name, rng)
    table_texts = []
    for number in (2, 4):
        text, table_facts = _table(name, number, rng)
        table_texts.append(text)
        facts.extend(table_facts)
    words = rng.sample(ORDINARY, 3)

    # The paper's body: each fact in a paragraph of its own section, ordinary words in both
    # cases (sentence starts, headings), two tables, chart text and references.
    passages: list[Passage] = []

    def add(text: str, page: int, section: str, **flags) -> Passage:
        passage = Passage(
            paper=paper,
            position=len(passages),
            page_start=page,
            page_end=page,
            section=section,
            text=text,
            **flags,
        )
        passages.append(passage)
        return passage

    sections = ("1 Introduction", "3 Method", "4 Experiments", "5 Results", "6 Analysis", "7 Conclusion")
    fact_passages = {}
    for index, fact in enumerate(facts):
        section = sections[min(index * len(sections) // len(facts), len(sections) - 1)]
        page = 1 + index * 9 // len(facts)
        if " | " in fact.english:
            continue  # table rows live in the table passages below
        word = words[index % len(words)][0]
        fact_passages[index] = add(
            f"{word.capitalize()} methods have been studied widely. {fact.english} "
            f"We keep the {word} setting of prior work so that the comparison stays fair.",
            page,
            section,
        )
    for table_number, text in zip((2, 4), table_texts, strict=True):
        table = add(text, 5 + table_number // 2, "5 Results", is_table=True)
        for index, fact in enumerate(facts):
            if " | " in fact.english and f"表{table_number}" in fact.japanese:
                fact_passages[index] = table
    add("0 20 40 60 80 100\nAccuracy (%)\nSteps (k)", 6, "5 Results", is_figure_text=True)
    add("[1] A. Author. An earlier study. In NeurIPS 2021, pages 1-12, 2021.", 11, "References", is_reference=True)
    add("[2] B. Author. Another study of 175 models. arXiv 2303.08774, 2023.", 11, "References", is_reference=True)
    Passage.objects.bulk_create(passages)

    # The blog's voice: the one-liner in である, the 概要 and answers in です・ます.
    first_fact = facts[0].japanese.rstrip(".").removesuffix("ます") + "る"
    summary = f"{name}を提案し、{first_fact}."
    abstract_ja = "".join(
        [
            f"本論文では、{name}を提案します.",
            facts[0].japanese,
            facts[3].japanese,
            f"また、{words[0][1].format(w=words[0][0])}.",
            facts[5].japanese,
        ]
    )
    note = Note.objects.create(
        issue=week.issue,
        paper=paper,
        position=position,
        state=state,
        **_machine_texts(summary=summary, abstract_ja=abstract_ja),
    )

    # Ten answers: facts dealt in turn (so answers differ), an explanation each, the
    # model's usual opening and closing phrases.
    order = list(range(len(facts)))
    rng.shuffle(order)
    explanations = rng.sample(EXPLANATIONS, 10)
    drafts: list[tuple[list[str], list[int]]] = []
    dealt = 0
    for number in range(10):
        taking = 2 if number % 3 == 1 else 1
        used = [order[(dealt + k) % len(order)] for k in range(taking)]
        dealt += taking
        sentences = [facts[i].japanese for i in used]
        sentences.insert(rng.randrange(len(sentences) + 1), explanations[number].format(name=name))
        if number in (2, 7):
            # An ordinary word in Latin: capitalised in one answer, not in the other.
            word, phrase = words[1]
            shown = word.capitalize() if number == 2 else word
            sentences.append(f"また、{phrase.format(w=shown)}.")
        drafts.append((sentences, used))
    answers = [
        (rng.choice(OPENINGS) + "".join(sentences) + rng.choice(CLOSINGS).format(name=name), used)
        for sentences, used in drafts
    ]
    if position in (3, 6):
        # A planted repetition: answer 9 says again what answer 4 said, its sentences reordered.
        sentences, used = drafts[3]
        answers[8] = ("まとめると、" + "".join(reversed(sentences)), used)
        week.planted.append(Planted("repeat", paper.arxiv_id, "Q9 repeats Q4"))

    base_names = [b for b in BASELINES if b != name]
    planted = rng.random()
    if position in (1, 8) and katakana:
        # A planted variant: the method's name in katakana in one answer.
        text, used = answers[5]
        answers[5] = (f"{katakana}は、{text}", used)
        week.planted.append(Planted("name", paper.arxiv_id, f"{name} / {katakana}"))
    if position == 9:
        text, used = answers[4]
        answers[4] = (text + "比較対象のLLaMA 3よりも医療分野の知識が豊富です.", used)
        answers[6] = (answers[6][0] + "Llama 3と比べても、回答の根拠を示す点で優れています.", answers[6][1])
        week.planted.append(Planted("name", paper.arxiv_id, "LLaMA 3 / Llama 3"))
    if position % 3 == 1 or planted < 0.2:
        # A planted number the paper never states.
        text, used = answers[1]
        invented = rng.choice((17.3, 23, 41.6, 9.8))
        answers[1] = (text + f"さらに、推論時のメモリ使用量を{invented}%削減します.", used)
        week.planted.append(Planted("number", paper.arxiv_id, f"{invented}%"))

    qas = []
    for number, (answer, _used) in enumerate(answers, start=1):
        base = base_names[number % len(base_names)]
        question = QUESTIONS[number - 1].format(name=name, base=base, bench=BENCHMARKS[0])
        qas.append(
            QuestionAnswer(note=note, position=number, **_machine_texts(question=question, answer=answer))
        )
    QuestionAnswer.objects.bulk_create(qas)
    stored = {passage.position: passage for passage in Passage.objects.filter(paper=paper)}
    evidence = []
    for qa, (_answer, used) in zip(QuestionAnswer.objects.filter(note=note).order_by("position"), answers, strict=True):
        for rank, index in enumerate(used, start=1):
            passage = fact_passages.get(index)
            if passage is None:
                continue
            quote = facts[index].english
            verified = not (qa.position == 7 and rank == 1)
            evidence.append(
                AnswerEvidence(
                    qa=qa,
                    position=rank,
                    passage=stored[passage.position],
                    page_start=passage.page_start,
                    page_end=passage.page_end,
                    section=passage.section,
                    quote=quote if verified else quote.replace(" ", " roughly ", 1),
                    verified=verified,
                )
            )
    AnswerEvidence.objects.bulk_create(evidence)
