"""The accessibility statement, open to everyone, signed in or not.

The text is docs/ACCESSIBILITY.md, the portal's own words (never user text), so the page
and the published statement cannot drift apart. Its first line is the page's one h1 and
each "## " line a section (h2); headings carry no "link to heading" anchor, which would
only add a tab stop.
"""

from pathlib import Path

import streamlit as st

STATEMENT = Path(__file__).resolve().parents[1] / "docs" / "ACCESSIBILITY.md"


def _sections(text: str) -> tuple[str, list[tuple[str | None, str]]]:
    """The statement's title and its sections as (heading, Markdown body); the part before the first heading has none."""
    title, _, rest = text.partition("\n")
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in rest.splitlines():
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        else:
            sections[-1][1].append(line)
    return title.lstrip("# ").strip(), [(heading, "\n".join(body).strip()) for heading, body in sections]


title, sections = _sections(STATEMENT.read_text(encoding="utf-8"))
st.title(title, anchor=False)
for heading, body in sections:
    if heading:
        st.header(heading, anchor=False)
    if body:
        st.markdown(body)
