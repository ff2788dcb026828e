"""Exporting my own journal, as Markdown or PDF. Only ever the author's own notes."""

from __future__ import annotations

import re

from db.organisation import utcnow
from qa.access.actor import Actor
from qa.exports import text_document_pdf
from qa.reflection.journal import NoteView, my_notes
from qa.reflection.reflective_models import guide

#: Markdown that could make a link or image, emphasis, code, a table or a heading.
_MARKDOWN = frozenset("\\`*_[]!|~#")
_LINE_START = re.compile(r"^(\s*)(\d*)([-+=.)])", re.MULTILINE)


def _inert(text: str) -> str:
    """The words exactly as typed, never markup, in any Markdown viewer.

    HTML becomes entities (a viewer would otherwise run ``<img onerror=...>``);
    brackets, emphasis, code, table and heading characters are backslash-escaped,
    so ``[click](javascript:...)`` shows as those characters and is not a link;
    a line starting with ``-``, ``+``, ``=`` or ``1.`` does not become a list or
    an underline heading.
    """
    text = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = "".join("\\" + ch if ch in _MARKDOWN else ch for ch in text)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2) + "\\" + m.group(3), text)


def _blocks(note: NoteView) -> list[tuple[str, str]]:
    prompts = {p.key: p.heading for p in guide(note.model).prompts}
    return [(prompts.get(key, key), text) for key, text in note.sections.items() if text]


def journal_markdown(actor: Actor) -> str:
    lines = [
        "# My reflective journal",
        "",
        f"Exported {utcnow():%d %B %Y}. Private: only you can see this unless you share it.",
        "",
    ]
    for note in my_notes(actor):
        lines.append(f"## {_inert(note.title) or 'Untitled note'} ({note.entry_date:%d %B %Y})")
        meta = [f"Model: {note.model}"]
        if note.tags:
            meta.append("Tags: " + ", ".join(_inert(t) for t in note.tags))
        if note.case_ref:
            meta.append(f"Case: {_inert(note.case_ref)}")
        lines += ["", "*" + " · ".join(meta) + "*", ""]
        for heading, text in _blocks(note):
            lines += [f"### {_inert(heading)}", "", _inert(text), ""]
    return "\n".join(lines)


def journal_pdf(actor: Actor) -> bytes:
    blocks: list[tuple[str, str]] = []
    for note in my_notes(actor):
        blocks.append(
            (
                f"{note.title or 'Untitled note'} ({note.entry_date:%d %B %Y})",
                f"Model: {note.model}" + (f". Tags: {', '.join(note.tags)}" if note.tags else ""),
            )
        )
        blocks += [(f"  {heading}", text) for heading, text in _blocks(note)]
    return text_document_pdf(
        "My reflective journal",
        "Private: only you can see this unless you choose to share it.",
        blocks or [("No notes yet", "")],
        f"Exported {utcnow():%d %B %Y} from the Practice Quality Portal",
    )
