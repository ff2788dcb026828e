"""Guides for the reflective journal: one per :class:`db.reflection.ReflectiveModel`.

Each guide is a short set of prompts that a practitioner can write under. The
prompt ``key`` is what is stored (as a key of the encrypted ``sections``
document of a journal entry), so keys must never change once released; the
heading and question are only shown.

The journal is private to its author unless they choose to share an entry,
and the prompts say so where it matters: the point is to write honestly,
including the feelings that are uncomfortable to admit.

Also here: the suggested tags and how a tag typed by the practitioner is tidied.

Pure module: no database, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.reflection import ReflectiveModel

TAG_MAX = 40


@dataclass(frozen=True, slots=True)
class Prompt:
    """One section of a reflective entry: stored under ``key``, shown as ``heading`` and ``question``."""

    key: str
    heading: str
    question: str


@dataclass(frozen=True, slots=True)
class ModelGuide:
    model: ReflectiveModel
    title: str
    summary: str
    prompts: tuple[Prompt, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The prompt keys, in order."""
        return tuple(prompt.key for prompt in self.prompts)


MODELS: dict[ReflectiveModel, ModelGuide] = {
    ReflectiveModel.FREE: ModelGuide(
        model=ReflectiveModel.FREE,
        title="Free writing",
        summary="No structure: just write whatever is on your mind, in whatever order it comes.",
        prompts=(
            Prompt(
                key="notes",
                heading="Your notes",
                question=(
                    "Write about whatever is on your mind, however it comes out. "
                    "Only you can read this unless you choose to share it."
                ),
            ),
        ),
    ),
    ReflectiveModel.SCHEIN: ModelGuide(
        model=ReflectiveModel.SCHEIN,
        title="Schein's cycle",
        summary=(
            "Slows down the jump from what you saw to what you did: what you noticed, "
            "how you reacted, what you made of it, and what you did next."
        ),
        prompts=(
            Prompt(
                key="observation",
                heading="Observation",
                question=(
                    "What did you actually see and hear? Try to stick to what happened before you get to what it meant."
                ),
            ),
            Prompt(
                key="reaction",
                heading="Reaction",
                question=(
                    "What did you feel in the moment, in your body as well as your head? "
                    "Any reaction is worth noting here, including ones you would rather not have had."
                ),
            ),
            Prompt(
                key="judgement",
                heading="Judgement",
                question=(
                    "What did you make of it, and what conclusions did you reach? "
                    "How much of that came from your reaction rather than from what you saw?"
                ),
            ),
            Prompt(
                key="intervention",
                heading="Intervention",
                question=(
                    "What did you do or say as a result? "
                    "Looking back, is there anything you might try differently next time?"
                ),
            ),
        ),
    ),
    ReflectiveModel.GIBBS: ModelGuide(
        model=ReflectiveModel.GIBBS,
        title="Gibbs' reflective cycle",
        summary=(
            "Walks through an experience from start to finish: what happened, how it felt, "
            "what went well or less well, why, and what you would do next time."
        ),
        prompts=(
            Prompt(
                key="description",
                heading="Description",
                question="What happened? Describe it in your own words, as plainly as you can.",
            ),
            Prompt(
                key="feelings",
                heading="Feelings",
                question=(
                    "What were you thinking and feeling, during and afterwards? "
                    "This is your private space, so be as honest as you like, including about the hard feelings."
                ),
            ),
            Prompt(
                key="evaluation",
                heading="Evaluation",
                question="What went well, and what was harder or didn't go as you hoped?",
            ),
            Prompt(
                key="analysis",
                heading="Analysis",
                question=(
                    "Why do you think it went the way it did? "
                    "What helped, what got in the way, and what might have been going on for the person on probation?"
                ),
            ),
            Prompt(
                key="conclusion",
                heading="Conclusion",
                question="What have you learned from this, about the work or about yourself?",
            ),
            Prompt(
                key="action_plan",
                heading="Action plan",
                question=(
                    "If something like this happens again, what would you like to do? "
                    "Is there any support or learning that would help?"
                ),
            ),
        ),
    ),
    ReflectiveModel.ROLFE: ModelGuide(
        model=ReflectiveModel.ROLFE,
        title="Rolfe's framework",
        summary="Three short questions: what happened, why it matters, and what you will do now.",
        prompts=(
            Prompt(
                key="what",
                heading="What?",
                question=(
                    "What happened, and what was your part in it? "
                    "Include how you felt, even if it seems unprofessional to say so."
                ),
            ),
            Prompt(
                key="so_what",
                heading="So what?",
                question=(
                    "Why does this matter? "
                    "What does it tell you about the person on probation, about your practice, or about how you're doing?"
                ),
            ),
            Prompt(
                key="now_what",
                heading="Now what?",
                question=(
                    "What will you do next, and what would help you do it? "
                    "It's fine if the answer is to talk it through with someone first."
                ),
            ),
        ),
    ),
}


def guide(model: ReflectiveModel | str) -> ModelGuide:
    """The guide for ``model``; also accepts the stored string value (e.g. ``"Gibbs"``).

    Raises ValueError for a value that is not a reflective model.
    """
    return MODELS[ReflectiveModel(model)]


TAGS: tuple[str, ...] = (
    "risk of harm",
    "safeguarding",
    "domestic abuse",
    "mental health",
    "substance use",
    "compliance and enforcement",
    "engagement",
    "diversity",
    "boundaries",
    "learning from an audit or observation",
)


def normalise_tag(text: str | None) -> str | None:
    """Tidy a tag: trim, collapse runs of spaces, and lower-case it.

    Returns None when nothing is left (so an empty box adds no tag).
    Raises ValueError with a plain message when the tidied tag is longer than
    :data:`TAG_MAX` characters.
    """
    if text is None:
        return None
    tag = " ".join(str(text).split()).lower()
    if not tag:
        return None
    if len(tag) > TAG_MAX:
        raise ValueError(f"A tag can be at most {TAG_MAX} characters long. Please shorten it.")
    return tag
