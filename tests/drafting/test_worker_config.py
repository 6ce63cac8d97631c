"""The shipped workers: drafting on a queue of its own, consumed by threads enough to keep
LLM_MAX_CONCURRENT calls in flight; ingestion and editorial work in processes; every task on
a queue some shipped worker consumes; `make run`'s one worker consumes them all."""

import shlex

from django.conf import settings

from editorial.management.commands import run_local
from papernotes.celery import app
from tests.support.procfile import compose_workers, drafting_worker, parse_worker, procfile_workers


def test_each_task_goes_to_a_queue_a_shipped_worker_consumes():
    app.loader.import_default_modules()
    consumed = {queue for worker in procfile_workers().values() for queue in worker.queues}
    routes = {
        name: app.amqp.router.route({}, name)["queue"].name for name in app.tasks if not name.startswith("celery.")
    }

    assert routes["papernotes.drafting.draft_note_task"] == "drafting"
    assert routes["papernotes.drafting.regenerate_task"] == "drafting"
    assert routes["papernotes.tasks.extract_passages_task"] == "ingestion"
    assert routes["editorial.tasks.publish_due_issues_task"] == "default"
    assert set(routes.values()) <= consumed == set(settings.TASK_QUEUE_NAMES)


def test_drafting_runs_on_threads_enough_for_the_llm_cap_apart_from_ingestion():
    worker = drafting_worker()
    others = [w for w in procfile_workers().values() if w is not worker and w.name != worker.name]

    assert worker.queues == ("drafting",)
    assert worker.pool in ("threads", "gevent", "eventlet")
    assert worker.concurrency >= settings.LLM_MAX_CONCURRENT
    assert all("drafting" not in other.queues for other in others)
    assert any("ingestion" in other.queues and other.pool == "prefork" for other in others)


def test_compose_runs_the_same_workers_as_the_procfile():
    assert {(w.queues, w.pool, w.concurrency) for w in compose_workers().values()} == {
        (w.queues, w.pool, w.concurrency) for w in procfile_workers().values()
    }


def test_make_runs_one_worker_consumes_every_queue():
    worker = parse_worker("run_local", shlex.join(run_local.worker_command()))

    assert set(worker.queues) == set(settings.TASK_QUEUE_NAMES)
