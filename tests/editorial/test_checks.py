"""Each quality check on Japanese sentences written for the test, as drafts get them wrong
and as editors write them right. Pure functions: no database."""

import pytest

from editorial.checks import GlossaryTerm, NoteText, QAText, run_checks

FW_OPEN, FW_CLOSE = "\uff08", "\uff09"  # full-width ( )
FW_DIGITS = "\uff13\uff10"  # full-width 30

ABSTRACT_EN = (
    "We introduce Prometheus 2, an evaluator LM trained on four direct assessment benchmarks. "
    "It reaches a 3x speed-up, uses 60k preference pairs and a 0.4B reward model, and improves accuracy by 12.5%. "
    "Our 7B model is released."
)


def _qas(count: int = 9, **overrides: tuple[str, str]) -> tuple[QAText, ...]:
    """``count`` distinct, well-formed pairs; ``Q3=(question, answer)`` replaces the third."""
    kana = "あいうえおかきくけこさしすせそ"
    pairs = [
        QAText(position=n, question=f"論点「{kana[n]}」は何ですか?", answer=f"論点「{kana[n]}」の答えです.")
        for n in range(1, count + 1)
    ]
    for key, (question, answer) in overrides.items():
        position = int(key[1:])
        pairs[position - 1] = QAText(position=position, question=question, answer=answer)
    return tuple(pairs)


def _note(**fields) -> NoteText:
    base = {
        "title_en": "Prometheus 2: An Open Source Language Model Specialized in Evaluating Other Language Models",
        "abstract_en": ABSTRACT_EN,
        "source_text": ABSTRACT_EN,
        "summary": "評価に特化したオープンな言語モデルを提案した.",
        "abstract_ja": "評価に特化した言語モデルPrometheus 2を紹介します.",
        "qas": _qas(),
    }
    base.update(fields)
    return NoteText(**base)


def _codes(note: NoteText, code: str) -> list:
    return [f for f in run_checks(note) if f.code == code]


def test_a_clean_note_has_no_findings():
    assert run_checks(_note()) == []


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "4つの直接評価ベンチマークで学習した.",  # four
        "推論が3倍速くなった.",  # 3x
        "6万組の選好データを使う.",  # 60k
        "60kの選好データを使う.",
        "4億パラメータの報酬モデルを使う.",  # 0.4B
        "精度が12.5%向上した.",
        "精度が\uff11\uff12.\uff15\uff05向上した.",  # full-width 12.5%
        "70億パラメータのモデルを公開した.",  # 7B
        "2番目の手法を比較する.",  # second? not in the abstract, but 2 is in "Prometheus 2"
        "GPT-4と比較した.",  # part of a name
        "Gemini 1.5やラマ3-8Bと比較した.",  # versions of names, in Latin script or katakana
    ],
)
def test_numbers_stated_in_the_source_pass(sentence):
    assert _codes(_note(abstract_ja=sentence), "number_not_in_source") == []


def test_a_number_missing_from_the_source_is_reported_with_its_place():
    found = _codes(_note(abstract_ja="精度が38.77%向上し、5つのベンチマークで首位となった."), "number_not_in_source")
    assert [(f.field, f.message) for f in found] == [
        ("abstract_ja", "「38.77」は英語の原文(タイトル・概要・本文・表)に見当たりません。"),
        ("abstract_ja", "「5」は英語の原文(タイトル・概要・本文・表)に見当たりません。"),
    ]
    assert "38.77%向上" in found[0].excerpt


def test_numbers_are_not_checked_without_an_english_source():
    note = _note(abstract_en="", source_text="", abstract_ja="精度が38.77%向上した.")
    assert _codes(note, "number_not_in_source") == []


# Numbers as machine drafts write them, against the body and its tables.
BODY = (
    "Training runs on 16 GPUs with 24GB of memory each, and decoding takes 120ms per token. "
    "The length-controlled win rate against GPT-4 rises to 38.77%.\n"
    "Table 2: Results on PopQA.\nModel | PopQA | Win rate (%)\nAdapt-LLM | 81.42 | 36.77\nGPT-4 | 78.56 | 14.02"
)


@pytest.mark.parametrize(
    "sentence",
    [
        "24GBのメモリを持つGPUを16台使う.",  # a unit glued to the number in the source
        "生成には1トークンあたり120msかかる.",
        "勝率は38.8%に達する.",  # rounded to the decimals written
        "勝率は約39%に達する.",  # approximate, and says so
        "勝率は40%近くに達する.",
        "表2によると、PopQAのスコアは81.42である.",  # a table cell; 表2 labels, claims nothing
        "PopQAの勝率は36.77%である.",
    ],
)
def test_numbers_from_the_body_and_its_tables_pass(sentence):
    # Given a note whose source holds the paper's body passages and a table
    note = _note(source_text=f"{ABSTRACT_EN}\n{BODY}", abstract_ja=sentence)
    # Then numbers written as drafts write them are found there
    assert _codes(note, "number_not_in_source") == []


@pytest.mark.parametrize(
    ("sentence", "reported"),
    [
        ("勝率は39%に達する.", "39"),  # a whole number is not taken as rounded unless it says so
        ("勝率は約45%に達する.", "45"),  # approximate, but not that approximate
        ("推論時のメモリ使用量を17.3%削減する.", "17.3"),  # not in the paper at all
        ("メモリは240GBである.", "240"),  # "24GB" is 24, not a prefix of every number
    ],
)
def test_numbers_the_paper_does_not_state_are_still_reported(sentence, reported):
    note = _note(source_text=f"{ABSTRACT_EN}\n{BODY}", abstract_ja=sentence)
    assert [f.excerpt for f in _codes(note, "number_not_in_source") if f"「{reported}」" in f.message]


def test_a_number_repeated_across_a_note_is_reported_once_where_it_first_appears():
    # Given the same unsupported figure in the summary, the abstract and an answer
    note = _note(
        summary="精度が17.3%向上した.",
        abstract_ja="提案手法は精度を17.3%向上させる.",
        qas=_qas(Q2=("精度はどれだけ向上しましたか?", "精度は17.3%向上しました.")),
    )
    # Then the editor sees it once, at the summary
    found = _codes(note, "number_not_in_source")
    assert [(f.field, f.qa_position) for f in found] == [("summary", None)]


# -- glossary ---------------------------------------------------------------------------

GLOSSARY = (
    GlossaryTerm(term="fine-tuning", preferred="ファインチューニング", forbidden_variants=("微調整",), in_source=True),
    GlossaryTerm(
        term="language model", preferred="言語モデル", forbidden_variants=("言語モデリング",), in_source=False
    ),
)


def test_a_forbidden_variant_is_blocking():
    note = _note(glossary=GLOSSARY, abstract_ja="モデルを微調整して評価器にする.ファインチューニングは一度だけ行う.")
    (found,) = _codes(note, "glossary_forbidden")
    assert found.severity == "blocking"
    assert (
        found.message == "「微調整」は用語集で使わない表記です。「fine-tuning」は「ファインチューニング」と書きます。"
    )


def test_a_source_term_rendered_otherwise_is_a_warning():
    note = _note(glossary=GLOSSARY, abstract_ja="モデルを追加学習して評価器にする.")
    (found,) = _codes(note, "glossary_preferred_missing")
    assert found.severity == "warning" and "ファインチューニング" in found.message
    good = _note(glossary=GLOSSARY, abstract_ja="モデルをファインチューニングして評価器にする.")
    assert _codes(good, "glossary_preferred_missing") == []


# -- names ------------------------------------------------------------------------------


def test_a_name_in_latin_and_katakana_within_one_note():
    note = _note(qas=_qas(Q1=("プロメテウス2の特徴は何ですか?", "Prometheus 2は評価に特化しています.")))
    (found,) = _codes(note, "name_variants")
    assert found.message == "「Prometheus」がカタカナで「プロメテウス」とも書かれています。"
    assert found.qa_position == 1


def test_a_name_in_two_letter_cases():
    note = _note(summary="PROMETHEUS 2を提案した.", abstract_ja="Prometheus 2を紹介する.")
    (found,) = _codes(note, "name_variants")
    assert "PROMETHEUS" in found.message and "Prometheus" in found.message


def test_ordinary_katakana_is_not_a_name_variant():
    note = _note(abstract_ja="Prometheus 2は、ロングコンテキストのモデルとデータセットを評価するメトリクスを持つ.")
    assert _codes(note, "name_variants") == []


def test_an_ordinary_english_word_in_two_cases_is_not_a_name_variant():
    # Given an English source that writes "sparse" and "token" as ordinary words
    source = f"{ABSTRACT_EN} Sparse attention keeps a sparse set of keys per token."
    # When the draft writes them once capitalised and once not, and "token" also in katakana
    note = _note(
        source_text=source,
        abstract_ja="Sparseな表現を使う.",
        qas=_qas(Q1=("sparseな表現とは何ですか?", "Tokenごとに、トークン数を数えます.")),
    )
    # Then no name variant is reported
    assert _codes(note, "name_variants") == []


def test_a_name_is_a_name_whatever_the_source_writes_around_it():
    # Given a source that writes "Llama" only as a name
    source = f"{ABSTRACT_EN} We compare with Llama 3 and Gemini."
    note = _note(
        source_text=source,
        summary="LLaMA 3と比較した.",
        abstract_ja="Llama 3とGeminiと比較した.gemini も参考にした.",
        qas=_qas(Q1=("ジェミニとの違いは?", "Llama 3よりも正確です.")),
    )
    # Then a different case inside the word, a lower-case name and its katakana are all reported
    messages = sorted(f.message for f in _codes(note, "name_variants"))
    assert messages == [
        "「Gemini」がカタカナで「ジェミニ」とも書かれています。",
        "「LLaMA」と「Llama」の表記が混在しています。",
        "「gemini」と「Gemini」の表記が混在しています。",
    ]


def test_without_an_english_source_only_the_first_letter_is_forgiven():
    # Given a back issue with no English text to tell words from names
    note = _note(
        source_text="", abstract_en="", summary="Sparseな表現とSPPOを使う.", abstract_ja="sparseな表現とsppoを使う."
    )
    # Then "Sparse"/"sparse" passes, while "SPPO"/"sppo" is still a variant
    assert [f.message for f in _codes(note, "name_variants")] == ["「sppo」と「SPPO」の表記が混在しています。"]


# -- debris, untranslated, truncated, brackets ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "コードは公開されている:.” rel=”nofollow”>https://github.com/x/y",
        "コードは公開されている:href=“https://github.com/x/y”.",
        "リンクは target=‘_blank’ で開く.",
        "リポジトリ″>https://github.com/x/y で公開されている.",
        "評価器を<b>提案</b>する.",
        "評価器を提案する&nbsp;.",
        "先行研究[12]を拡張する.",
        "評価器を提案する\\cite{kim2024}.",
        "評価器を提案する\ufffd.",
    ],
)
def test_debris_is_blocking(text):
    found = _codes(_note(abstract_ja=text), "debris")
    assert found and found[0].severity == "blocking"


def test_curly_quotes_as_quotation_marks_are_not_debris():
    # the house style quotes words with ” ”: that is text, not a tag left behind
    text = "KANsはエッジ(”重み”)上の学習可能な活性化関数を持ち、id は 3 である."
    assert _codes(_note(abstract_ja=text), "debris") == []


def test_an_english_sentence_left_untranslated():
    text = "評価器を提案する.We show that the evaluator correlates with human judgments on all benchmarks."
    (found,) = _codes(_note(abstract_ja=text), "untranslated")
    assert "We show that the evaluator correlates" in found.excerpt


def test_latin_names_and_the_quoted_title_are_not_untranslated():
    text = (
        "論文「Prometheus 2: An Open Source Language Model Specialized in Evaluating Other Language Models」は、"
        "GPT-4やLlama 3 70Bと比較する."
    )
    assert _codes(_note(abstract_ja=text), "untranslated") == []


@pytest.mark.parametrize(
    "text", ["評価器は人間の判断と", "評価器は人間の判断と高い相関を示し、", "評価器は…", "相関が高いが."]
)
def test_a_sentence_cut_off(text):
    assert _codes(_note(abstract_ja=text), "truncated")


@pytest.mark.parametrize(
    "text",
    [
        "評価器を提案する.",
        "評価器は人間の判断と一致するのか.",
        "評価器(Prometheus 2)を提案する.",
        "「評価器」を提案する.",
        "詳細は https://github.com/prometheus-eval/prometheus-eval",
    ],
)
def test_complete_sentences_are_not_cut_off(text):
    assert _codes(_note(abstract_ja=text), "truncated") == []


@pytest.mark.parametrize(
    "text",
    [
        "プロメテウス2』の開発動機は何か.",
        "ノード(「ニューロン」に固定された活性化関数を持つ.",
        f"評価器{FW_OPEN}Prometheus 2を提案する.",
        "エッジ(”重み)に学習可能な関数を置く.",
    ],
)
def test_unbalanced_brackets_and_quotes(text):
    assert _codes(_note(abstract_ja=text), "unbalanced_brackets")


@pytest.mark.parametrize(
    "text",
    [
        "エッジ(”重み”)に学習可能な関数を置く.",
        "『評価器』と「判定器」と(i)と(ii)を比べる.",
        f"評価器{FW_OPEN}仮称{FW_CLOSE}を提案する.",
    ],
)
def test_balanced_brackets_and_quotes_pass(text):
    assert _codes(_note(abstract_ja=text), "unbalanced_brackets") == []


# -- questions and answers --------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "評価器の仕組みを教えてください.",
        "評価器はどのように人間の判断を反映しているのか.",
        "この研究はどのような洞察を提供することを目的としているのでしょうか.",
        "評価器の利点は何ですか?",
        "なぜ直接評価とペアワイズ評価の両方が必要なのか?",
    ],
)
def test_questions_and_requests_are_questions(question):
    note = _note(qas=_qas(Q1=(question, "人間の評価と高い相関を示すよう学習されています.")))
    assert _codes(note, "not_a_question") == []


def test_a_statement_is_not_a_question():
    note = _note(qas=_qas(Q2=("Githubリポジトリには調査対象のリソースが含まれています.", "はい、含まれています.")))
    (found,) = _codes(note, "not_a_question")
    assert found.qa_position == 2 and found.severity == "warning"


def test_an_answer_that_only_restates_its_question():
    note = _note(
        qas=_qas(Q3=("評価器が人間の判断と一致する理由は何ですか?", "評価器が人間の判断と一致する理由があります."))
    )
    (found,) = _codes(note, "answer_restates_question")
    assert found.qa_position == 3


def test_an_answer_with_new_information_is_not_a_restatement():
    note = _note(
        qas=_qas(
            Q3=(
                "評価器が人間の判断と一致する理由は何ですか?",
                "直接評価とペアワイズ評価の重みを統合して学習したためです.",
            )
        )
    )
    assert _codes(note, "answer_restates_question") == []


def test_near_duplicate_answers():
    answer = "直接評価とペアワイズランキングの両方で、人間の判断との相関が最も高くなりました."
    note = _note(
        qas=_qas(Q4=("直接評価の結果は?", answer), Q6=("ペアワイズの結果は?", answer.replace("最も", "いちばん")))
    )
    (found,) = _codes(note, "near_duplicate_answers")
    assert (found.qa_position, found.message) == (6, "Q4 の回答とほぼ同じです。")


# Answers as a model drafts them: the same opening, the method's name and the same closing.
OPENING = "この論文では、著者らが提案するPrometheus 2は"
CLOSING = "これにより、Prometheus 2の有効性が示されており、今後の評価器の研究にとって重要な示唆が得られています."
DISTINCT = (
    "MMLUで76.2%の正解率を達成し、Mixtral-8x7Bを8.8ポイント上回ります.",
    "学習に24GBのメモリを持つGPUを16台使い、生成には1トークンあたり480msかかります.",
    "推論時の計算を増やす代わりに学習時の計算を減らすという考え方に基づいています.",
    "英語以外の言語での検証が不十分であることを限界として挙げています.",
    "公開されたモデルとデータだけで再現できるように作られています.",
    "失敗例の分析から、長い入力の後半にある情報を見落としやすいことが分かりました.",
    "人間の評価者との一致度を高めるために、評価基準を細かく定義しています.",
    "学習は二段階で行われ、最初に基本的な能力を、次に指示への追従を学びます.",
    "外部の評価器を必要とせず、先行研究よりも手軽に使えます.",
    "コードとモデルの重みが公開されており、他の研究者が追試できます.",
)


def _drafted_qas(answers) -> tuple[QAText, ...]:
    return tuple(
        QAText(position=n, question=f"要点{n}について教えてください.", answer=answer)
        for n, answer in enumerate(answers, start=1)
    )


def test_answers_sharing_only_the_models_boilerplate_are_not_duplicates():
    # Given ten different answers in the same opening and closing phrases
    note = _note(qas=_drafted_qas(OPENING + sentence + CLOSING for sentence in DISTINCT))
    # Then none is reported as a near-duplicate
    assert _codes(note, "near_duplicate_answers") == []


def test_an_answer_repeating_another_is_still_reported_through_the_boilerplate():
    # Given the same answers, the ninth saying again what the fourth said, reworded a little
    answers = [OPENING + sentence + CLOSING for sentence in DISTINCT]
    answers[8] = "まとめると、Prometheus 2は" + DISTINCT[3].replace("不十分である", "十分でない")
    note = _note(qas=_drafted_qas(answers))
    # Then the editor is told at the ninth answer
    (found,) = _codes(note, "near_duplicate_answers")
    assert (found.qa_position, found.message) == (9, "Q4 の回答とほぼ同じです。")


def test_answers_of_one_template_are_one_finding():
    # Given ten answers that differ only in a number (a draft that says nothing)
    note = _note(qas=_drafted_qas(f"論文によると、要点 {n} は本文に書かれている通りです." for n in range(1, 11)))
    # Then one finding names them all, at the first
    (found,) = _codes(note, "near_duplicate_answers")
    assert found.qa_position == 1
    assert found.message == (
        "Q1・Q2・Q3・Q4・Q5・Q6・Q7・Q8・Q9・Q10 の回答は、ほぼ同じ定型文で、それぞれの内容がほとんどありません。"
    )


def test_qa_count_outside_the_range():
    (found,) = _codes(_note(qas=_qas(count=5)), "qa_count")
    assert found.message == "Q&A が 5 組あります(8〜12 組にしてください)。"
    assert _codes(_note(qas=_qas(count=12)), "qa_count") == []


def test_empty_fields_are_blocking():
    note = _note(summary=" ", qas=_qas(Q2=("評価器とは?", "")))
    found = _codes(note, "empty_required")
    assert [(f.field, f.qa_position, f.message) for f in found] == [
        ("summary", None, "一行要約が空です。"),
        ("answer", 2, "回答が空です。"),
    ]


# -- house style ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("評価器を提案する。", "「.」"),
        ("評価器とは何か\uff1f", "?"),
        (f"評価器{FW_OPEN}仮称{FW_CLOSE}を提案する.", "()"),
        (f"精度が{FW_DIGITS}%向上した.", "数字"),
    ],
)
def test_house_style_punctuation(text, fragment):
    found = _codes(_note(abstract_ja=text), "house_style")
    assert found and fragment in found[0].message and found[0].severity == "warning"
