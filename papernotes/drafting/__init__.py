"""Machine drafting of a note's Japanese texts with an OpenAI-compatible LLM.

Per paper, at most three calls: **read** (the Japanese abstract, the one-line summary and
the questions, each with English search terms), **answer** (all questions at once, each
with the passages BM25 retrieved for it, answered with evidence quotes), and **repair**
only when an output fails validation or a quote is not in its passage. Results reach the
note through the provenance rule: nothing an editor wrote is replaced.

Modules: ``llm`` owns the OpenAI client; ``schemas`` the output shapes; ``prompts`` the
versioned prompt files; ``retrieval`` BM25 over passages; ``evidence`` quote checking;
``house_style`` the blog's punctuation; ``pricing`` costs; ``steps`` the calls of one
draft; ``store`` what a finished step writes; ``services`` the entry points; ``tasks``
the Celery tasks; ``selectors`` reads for the admin and ``pipeline_status``.
"""
