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
