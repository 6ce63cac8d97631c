"""The provenance rule every writer goes through: nothing an editor typed is overwritten."""

from papernotes.models import Note, QuestionAnswer, TextSource


def _note(**texts) -> Note:
    return Note(**texts)


def test_machine_text_fills_an_empty_field_and_is_kept_as_the_draft():
    note = _note()
    assert note.set_machine_text("summary", "機械の要約.") is True
    assert (note.summary, note.summary_source, note.summary_machine_draft) == (
        "機械の要約.",
        TextSource.MACHINE,
        "機械の要約.",
    )


def test_machine_text_replaces_an_older_machine_draft():
    note = _note(summary="古い下書き.", summary_source=TextSource.MACHINE)
    assert note.set_machine_text("summary", "新しい下書き.") is True
    assert note.summary == "新しい下書き."


def test_machine_text_never_replaces_an_editors_or_an_imported_text():
    for source in (TextSource.EDITOR, TextSource.IMPORTED):
        note = _note(summary="人の文章.", summary_source=source)
        assert note.set_machine_text("summary", "機械の要約.") is False
        # the current text stays; the machine's proposal is still kept for comparison
        assert (note.summary, note.summary_source) == ("人の文章.", source)
        assert note.summary_machine_draft == "機械の要約."


def test_an_editors_text_always_wins_and_is_marked():
    qa = QuestionAnswer(answer="機械の回答.", answer_source=TextSource.MACHINE)
    assert qa.set_editor_text("answer", "編集者の回答.") is True
    assert (qa.answer, qa.answer_source) == ("編集者の回答.", TextSource.EDITOR)
    assert qa.set_editor_text("answer", "編集者の回答.") is False  # unchanged: nothing to mark


def test_clearing_a_field_makes_it_empty_again():
    qa = QuestionAnswer(question="質問?", question_source=TextSource.EDITOR)
    qa.set_editor_text("question", "")
    assert qa.question_source == TextSource.EMPTY


def test_import_replaces_machine_text_but_not_a_different_editors_text():
    note = _note(
        summary="機械.", summary_source=TextSource.MACHINE, abstract_ja="編集者.", abstract_ja_source=TextSource.EDITOR
    )
    note.set_imported_text("summary", "取り込み.")
    note.set_imported_text("abstract_ja", "取り込み.")
    assert (note.summary, note.summary_source) == ("取り込み.", TextSource.IMPORTED)
    assert (note.abstract_ja, note.abstract_ja_source) == ("編集者.", TextSource.EDITOR)
