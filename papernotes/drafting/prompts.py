"""The prompts, kept as files beside this module and versioned.

Each file starts with ``version: N`` and a ``---`` line; the rest is the text. The system
message of a call is the prompt file filled with settings only (the Q&A range, the house
style), so it is the same for every paper: it comes first, and the provider's prompt cache
can reuse it from one paper to the next. Everything about the paper goes in the user
message after it.

The version of each prompt used is recorded with every call and every draft
(``read@1``...): bump it whenever a prompt's wording changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
# Replay (``papernotes.drafting.replay``) drafts with another set of prompt files: a folder
# whose files replace the shipped ones of the same name (the others stay the shipped ones).
_override_dir: ContextVar[Path | None] = ContextVar("prompt_override_dir", default=None)


@contextmanager
def prompts_from(directory: Path | None) -> Iterator[None]:
    """Within the block, prompts are read from ``directory`` first (None: the shipped ones)."""
    token = _override_dir.set(Path(directory) if directory else None)
    try:
        yield
    finally:
        _override_dir.reset(token)


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    text: str

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


def _read(name: str) -> Prompt:
    override = _override_dir.get()
    if override is not None and (override / f"{name}.md").is_file():
        return _read_file(override / f"{name}.md", name)
    return _read_file(PROMPT_DIR / f"{name}.md", name)


@cache
def _read_file(path: Path, name: str) -> Prompt:
    raw = path.read_text(encoding="utf-8")
    header, separator, body = raw.partition("\n---\n")
    if not separator or not header.startswith("version:"):
        raise ValueError(f"prompt {name}.md must start with 'version: N' and a '---' line")
    return Prompt(name=name, version=header.removeprefix("version:").strip(), text=body.strip())


def house_style() -> Prompt:
    style = settings.DRAFTING_HOUSE_STYLE if settings.DRAFTING_HOUSE_STYLE in ("blog", "none") else "blog"
    return _read(f"house_style_{style}")


def system_prompt(name: str) -> Prompt:
    """Prompt ``name`` with the settings filled in (the same text for every paper).

    Its version names the house style too when the prompt includes it: ``read@1+house_style_blog@1``.
    """
    prompt = _read(name)
    version = prompt.version
    text = prompt.text
    if "{house_style}" in text:
        style = house_style()
        text = text.replace("{house_style}", style.text)
        version = f"{version}+{style.tag}"
    text = text.replace("{qa_min}", str(settings.DRAFTING_QA_MIN)).replace("{qa_max}", str(settings.DRAFTING_QA_MAX))
    return Prompt(name=prompt.name, version=version, text=text)
