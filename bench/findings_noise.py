"""Quality-check findings per note on machine-drafted weeks: how much an editor must read.

Prints figures, not a verdict. For each week it runs every check on every note (what a
save stores) and prints the findings by check and severity, the mean 注意 (warning) and
要修正 (blocking) per note, and, where defects were planted, how many the checks caught:

* ``generated``: a drafted week built by ``tests/support/drafted_week.py``: the sample
  week's ten papers with body passages and tables, notes shaped like the sample issue's
  texts, numbers taken from the passages and tables as models write them, and a few
  planted defects (a number the paper does not state, a name written two ways, an
  answer repeating another);
* ``sample``: the sample issue's own texts (written by the LLM the blog used) with the
  papers' English abstracts from arXiv (no body passages: numbers are compared with the
  title and abstract only);
* ``stand-in``: a week drafted end to end by the drafting pipeline against the local
  OpenAI-compatible stand-in (``tests/support/openai_server.py``), whose canned texts
  are deliberately bare (an English abstract as the Japanese one, ten answers of one
  template); this is the week the issue counted 28–30 注意 per note on.

A change to a check cannot be measured before and after in one run: run this script at
an older commit (copy it and ``tests/support/drafted_week.py`` there) for the baseline.

Usage: .venv/bin/python bench/findings_noise.py [--seed 0] [--no-stand-in] [--notes]
"""

import argparse
import datetime
import io
import json
import re
import time
from collections import Counter

import scratch_django

scratch_django.setup(CELERY_BROKER_URL="memory://")

import drafting_week
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command

from editorial.checks.services import note_findings
from papernotes.celery import app
from papernotes.models import Note, Paper, WeeklyIssue
from tests.support.drafted_week import FIXTURE, build_drafted_week
from tests.support.openai_server import OpenAIServer

SAMPLE = scratch_django.REPO / "sample_data" / "weekly-issue-2024-04-29.txt"


def findings_of(issue: WeeklyIssue) -> list[tuple[Note, object]]:
    rows = []
    for note in issue.notes.select_related("paper").order_by("position"):
        _text, found = note_findings(note)
        rows.extend((note, finding) for finding, _fingerprint in found)
    return rows


def report(label: str, issue: WeeklyIssue, rows, *, per_note: bool) -> None:
    notes = issue.notes.count()
    by_code = Counter((finding.code, str(finding.severity)) for _note, finding in rows)
    warnings = sum(count for (_code, severity), count in by_code.items() if severity == "warning")
    blocking = sum(count for (_code, severity), count in by_code.items() if severity == "blocking")
    print(
        f"{label}: {notes} notes, {len(rows)} findings; "
        f"per note {warnings / notes:.1f} 注意, {blocking / notes:.1f} 要修正"
    )
    for (code, severity), count in sorted(by_code.items(), key=lambda item: (-item[1], item[0])):
        print(f"    {count:4d}  {severity:8s} {code}")
    if per_note:
        for note in issue.notes.order_by("position"):
            mine = Counter(str(f.severity) for n, f in rows if n.pk == note.pk)
            print(f"      {note.paper.arxiv_id}: {mine['warning']} 注意, {mine['blocking']} 要修正")


def caught(planted, rows) -> bool:
    for note, finding in rows:
        if note.paper.arxiv_id != planted.arxiv_id:
            continue
        names = re.findall(r"[A-Za-z]{4,}|[ァ-ヴー]{3,}", planted.detail)
        number = planted.detail.removesuffix("%")
        if planted.kind == "number" and finding.code == "number_not_in_source" and f"「{number}」" in finding.message:
            return True
        if planted.kind == "name" and finding.code == "name_variants" and any(n in finding.message for n in names):
            return True
        if planted.kind == "repeat" and finding.code == "near_duplicate_answers" and finding.qa_position == 9:
            return True
    return False


def generated_week(seed: int, per_note: bool) -> None:
    week = build_drafted_week(seed=seed)
    rows = findings_of(week.issue)
    report(f"generated drafted week (seed {seed})", week.issue, rows, per_note=per_note)
    kinds = Counter(p.kind for p in week.planted)
    hits = Counter(p.kind for p in week.planted if caught(p, rows))
    print("    planted defects caught: " + ", ".join(f"{kind} {hits[kind]}/{kinds[kind]}" for kind in sorted(kinds)))
    for planted in week.planted:
        if not caught(planted, rows):
            print(f"      missed: {planted.kind} {planted.arxiv_id} {planted.detail}")


def sample_week(per_note: bool) -> None:
    call_command("import_issue", str(SAMPLE), verbosity=0, stdout=io.StringIO())
    abstracts = {record["arxiv_id"]: record["abstract_en"] for record in json.loads(FIXTURE.read_text())["papers"]}
    for paper in Paper.objects.all():
        Paper.objects.filter(pk=paper.pk).update(abstract_en=abstracts.get(paper.arxiv_id, ""))
    issue = WeeklyIssue.objects.get(week_start=datetime.date(2024, 4, 29))
    report("sample issue with arXiv abstracts", issue, findings_of(issue), per_note=per_note)


def stand_in_week(per_note: bool) -> None:
    papers = drafting_week.make_week(pages=6)
    issue = WeeklyIssue.objects.get(week_start=drafting_week.WEEK)
    with OpenAIServer(latency=0.0) as server:
        settings.OPENAI_BASE_URL = server.base_url
        settings.LLM_BACKOFF_BASE = 0.01
        app.conf.broker_url = "memory://"
        app.conf.broker_transport_options = {"polling_interval": 0.01}
        with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING"):
            drafting_week.run_pipeline(issue.pk, len(papers))
    label = "stand-in drafted week (drafting pipeline, local OpenAI stand-in)"
    report(label, issue, findings_of(issue), per_note=per_note)


def clear() -> None:
    WeeklyIssue.objects.all().delete()
    Paper.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated week")
    parser.add_argument("--no-stand-in", action="store_true", help="skip the week drafted through the pipeline")
    parser.add_argument("--notes", action="store_true", help="also print the counts of each note")
    options = parser.parse_args()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    generated_week(options.seed, options.notes)
    clear()
    sample_week(options.notes)
    if not options.no_stand_in:
        clear()
        stand_in_week(options.notes)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
