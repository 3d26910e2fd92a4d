"""The intents (categories) and moods of the original demo, as data.

Each label has a short description; query composition embeds these descriptions,
never the bare label alone.
"""

from __future__ import annotations

from .config import VidrecError

#: The six intents of the original demo, each with the description a query uses.
INTENTS: dict[str, str] = {
    "sci-fi": "science fiction with spaceships, robots, aliens and futuristic cities",
    "cartoon": "classic cartoon slapstick with talking animals, chases and silly gags",
    "kids": "gentle shows for young children about counting, colours, friendship and bedtime",
    "family": "stories about parents, grandparents and siblings at home, for all ages together",
    "adventure": "adventure journeys and quests through jungles, mountains, oceans and treasure maps",
    "fantasy": "fantasy worlds with dragons, wizards, fairies and enchanted kingdoms",
}

#: The five moods of the original demo, each with the description a query uses.
MOODS: dict[str, str] = {
    "comedy": "funny and lighthearted, full of jokes and pratfalls",
    "fantasy": "dreamlike, surreal and otherworldly",
    "action": "fast-paced action with chases, races, fights and escapes",
    "musical": "musical, where characters sing, dance and play instruments",
    "magical": "magical and full of wonder, with spells, glowing lights and sparkles",
}


def check_intent(intent: str) -> str:
    """Return `intent` if known, else raise an error listing the valid ones."""
    if intent not in INTENTS:
        raise VidrecError(f"unknown intent {intent!r}: choose one of {', '.join(INTENTS)}")
    return intent


def check_mood(mood: str) -> str:
    """Return `mood` if known, else raise an error listing the valid ones."""
    if mood not in MOODS:
        raise VidrecError(f"unknown mood {mood!r}: choose one of {', '.join(MOODS)}")
    return mood


def baseline_query(intent: str, mood: str) -> str:
    """The original demo's single query string: Recommend: "<intent description>" videos "<mood>"."""
    return f'Recommend: "{INTENTS[check_intent(intent)]}" videos "{check_mood(mood)}"'


def preset_names() -> list[str]:
    """Names of every precomputed query: intent:X, mood:Y and preset:X|Y."""
    names = [f"intent:{i}" for i in INTENTS] + [f"mood:{m}" for m in MOODS]
    names += [f"preset:{i}|{m}" for i in INTENTS for m in MOODS]
    return names


def query_text(name: str) -> str:
    """The text embedded for a precomputed query name (see `preset_names`)."""
    kind, _, value = name.partition(":")
    if kind == "intent":
        return INTENTS[check_intent(value)]
    if kind == "mood":
        return MOODS[check_mood(value)]
    if kind == "preset":
        intent, _, mood = value.partition("|")
        return baseline_query(intent, mood)
    raise VidrecError(f"unknown query name {name!r}: expected intent:X, mood:Y or preset:X|Y")
