"""What the API shows of public issues, notes, Q&A and papers, and the editorial payloads.

Texts are the stored Markdown. Paper metadata is what the issue shows (``paper_as_shown``,
frozen at publication), with arXiv links over https and each category with its code.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from papernotes.categories import note_categories
from papernotes.models import Note, PipelineRowState, QuestionAnswer, WeeklyIssue
from papernotes.templatetags.papernotes_tags import https


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="理由(日本語)")


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class QuestionAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuestionAnswer
        fields = ["position", "question", "answer"]


class IssueRefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyIssue
        fields = ["week_start", "title", "url"]

    def get_url(self, issue) -> str:
        return issue.get_absolute_url()


class NoteSerializer(serializers.ModelSerializer):
    arxiv_id = serializers.CharField(source="paper.arxiv_id")
    title = serializers.SerializerMethodField()
    authors = serializers.SerializerMethodField()
    first_published_on = serializers.SerializerMethodField()
    latest_updated_on = serializers.SerializerMethodField()
    abs_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    issue = IssueRefSerializer()
    qas = QuestionAnswerSerializer(many=True)

    class Meta:
        model = Note
        fields = [
            "arxiv_id",
            "issue",
            "position",
            "url",
            "title",
            "authors",
            "first_published_on",
            "latest_updated_on",
            "abs_url",
            "pdf_url",
            "categories",
            "summary",
            "abstract_ja",
            "qas",
        ]

    def get_title(self, note) -> str:
        return note.paper_as_shown.title

    def get_authors(self, note) -> list[str]:
        return list(note.paper_as_shown.authors)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_first_published_on(self, note):
        return note.paper_as_shown.first_published_on

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_latest_updated_on(self, note):
        return note.paper_as_shown.latest_updated_on

    def get_abs_url(self, note) -> str:
        return https(note.paper_as_shown.abs_url)

    def get_pdf_url(self, note) -> str:
        return https(note.paper_as_shown.pdf_url)

    @extend_schema_field(CategorySerializer(many=True))
    def get_categories(self, note):
        return [{"code": c.code, "name": c.name} for c in note_categories(note)]

    def get_url(self, note) -> str:
        return f"{note.issue.get_absolute_url()}#{note.anchor}"


class NoteInIssueSerializer(NoteSerializer):
    class Meta(NoteSerializer.Meta):
        fields = [f for f in NoteSerializer.Meta.fields if f != "issue"]

    def get_url(self, note) -> str:
        return f"{self.context['issue_url']}#{note.anchor}"


class IssueSummarySerializer(serializers.ModelSerializer):
    week_end = serializers.DateField()
    url = serializers.SerializerMethodField()
    paper_count = serializers.IntegerField()

    class Meta:
        model = WeeklyIssue
        fields = ["week_start", "week_end", "title", "state", "published_at", "corrected_at", "paper_count", "url"]

    def get_url(self, issue) -> str:
        return issue.get_absolute_url()


class IssueDetailSerializer(serializers.ModelSerializer):
    week_end = serializers.DateField()
    url = serializers.SerializerMethodField()
    text_url = serializers.SerializerMethodField()
    markdown_url = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyIssue
        fields = [
            "week_start",
            "week_end",
            "title",
            "state",
            "intro",
            "published_at",
            "corrected_at",
            "url",
            "text_url",
            "markdown_url",
            "notes",
        ]

    def get_url(self, issue) -> str:
        return issue.get_absolute_url()

    def get_text_url(self, issue) -> str:
        return reverse("papernotes:issue_text", kwargs={"week": issue.week_start.isoformat()})

    def get_markdown_url(self, issue) -> str:
        return reverse("papernotes:issue_markdown", kwargs={"week": issue.week_start.isoformat()})

    @extend_schema_field(NoteInIssueSerializer(many=True))
    def get_notes(self, issue):
        context = {**self.context, "issue_url": issue.get_absolute_url()}
        return NoteInIssueSerializer(issue.notes.all(), many=True, context=context).data


class PaperSerializer(serializers.Serializer):
    arxiv_id = serializers.CharField()
    title = serializers.CharField()
    abs_url = serializers.CharField()
    url = serializers.CharField()
    notes = NoteSerializer(many=True)


# --- editorial ---------------------------------------------------------------------------


class IssueFromListInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=100_000, help_text="arXiv ID の一覧、または ML Papers of the Week の節")
    week_start = serializers.DateField(required=False, allow_null=True, help_text="週の開始日(月曜日)")


class DraftInputSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text="作成済みのノートも作り直す(編集者が書いた文章は残り、機械の文章は提案になる)"
    )


class DraftResultSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    started = serializers.IntegerField(help_text="下書きを開始した論文ノートの数")


class IssueFromListResultSerializer(serializers.Serializer):
    week_start = serializers.DateField(source="issue.week_start")
    issue_created = serializers.BooleanField()
    added = serializers.ListField(child=serializers.CharField())
    already_in_issue = serializers.ListField(child=serializers.CharField())
    reused_papers = serializers.ListField(child=serializers.CharField())
    rejected = serializers.ListField(child=serializers.DictField())
    duplicates = serializers.ListField(child=serializers.DictField())


class PipelineRowSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    arxiv_id = serializers.CharField()
    title = serializers.CharField()
    stage_label = serializers.CharField()
    state = serializers.ChoiceField(
        choices=PipelineRowState.choices, help_text="One word: where the paper is (ingestion, then drafting)."
    )
    state_label = serializers.CharField()
    progress = serializers.IntegerField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    retry_note = serializers.CharField(help_text="When an automatic retry is pending: which one, and about when.")
    seconds = serializers.FloatField(allow_null=True)
    calls = serializers.IntegerField(help_text="LLM calls made for this note.")
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=6)


class PipelineSerializer(serializers.Serializer):
    week_start = serializers.DateField(source="issue.week_start")
    state = serializers.CharField(source="issue.state")
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    progress = serializers.IntegerField()
    rows = PipelineRowSerializer(many=True)


# --- workflow actions and edits (built from editorial.actions / editorial.editing) --------


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="操作の名前(URL の最後の部分)")
    label = serializers.CharField()
    inputs = serializers.ListField(child=serializers.CharField(), help_text="この操作が受け取る項目")
    comment_required = serializers.BooleanField()


class ActionListSerializer(serializers.Serializer):
    state = serializers.CharField()
    state_label = serializers.CharField()
    actions = ActionSerializer(many=True, help_text="呼び出し元が今この状態で行える操作")


class ActionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    publish_at = serializers.DateTimeField(required=False, help_text="公開予約の日時(日本時間、ISO 8601)")


class ActionErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False)


class QAEditSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, help_text="既存の Q&A の id(なければ追加)")
    position = serializers.IntegerField(required=False, min_value=1)
    question = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=20_000)
    answer = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=20_000)
    delete = serializers.BooleanField(required=False, default=False)


class NoteEditSerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=2_000)
    abstract_ja = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=20_000)
    position = serializers.IntegerField(required=False, min_value=1, help_text="号の中の順番(編集長)")
    qas = QAEditSerializer(many=True, required=False, max_length=100)
    correction_note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="公開済みの号では必須(訂正の内容)"
    )
    qa_set_seen = serializers.CharField(
        required=False, allow_blank=True, max_length=10_000, help_text="読み込んだときの qa_set(古い保存の検出)"
    )


class EditorialQASerializer(serializers.ModelSerializer):
    class Meta:
        model = QuestionAnswer
        fields = ("id", "position", "question", "question_source", "answer", "answer_source")


class EditorialNoteSerializer(serializers.ModelSerializer):
    """A note as editors see it (any state): texts, their sources, Q&A and the set's signature."""

    week_start = serializers.DateField(source="issue.week_start")
    arxiv_id = serializers.CharField(source="paper.arxiv_id")
    qas = EditorialQASerializer(many=True)
    qa_set = serializers.SerializerMethodField(help_text="編集の際に qa_set_seen として送り返す値")

    class Meta:
        model = Note
        fields = (
            "id", "week_start", "arxiv_id", "position", "state", "summary", "summary_source",
            "abstract_ja", "abstract_ja_source", "qas", "qa_set",
        )  # fmt: skip

    def get_qa_set(self, note) -> str:
        return ",".join(f"{qa.pk}:{qa.position}" for qa in sorted(note.qas.all(), key=lambda qa: qa.position))


class NoteEditResultSerializer(serializers.Serializer):
    note = EditorialNoteSerializer()
    changed_texts = serializers.ListField(child=serializers.CharField())
    qa_set_changed = serializers.BooleanField()
    position_changed = serializers.BooleanField()
    approval_taken_back = serializers.BooleanField()
    corrected = serializers.BooleanField()
