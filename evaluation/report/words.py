"""The words for the people a programme works with, and for the events it meets them at, in every sentence,
table and caption of the report.

The report's text is written for Operation Alliance's children. A programme that also sees adults (a liaison and
diversion service, a multi-provider custody trial, IOM) is about *people*: `[programme] population` says which
("children", "young people" or "people"; by default children when the eligible ages end at 17 or below, people
otherwise). `Vocabulary.apply` rewrites the words for one child or several, keeping the names of things that are
about children whatever the programme (children's social care, the Children and Families pathway).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: Phrases kept as written (they name a service or a data field, not the people counted).
_KEEP = (
    "children's social care",
    "Children's social care",
    "childrens_social_care",
    "Children and families",
    "children and families",
    "Children and Young",
    "child_",
)
_FORMS = ("children's", "Children's", "children", "Children", "child's", "Child's", "child", "Child")
_OPEN, _CLOSE = "\x02", "\x03"

#: kind -> (event, events, "detained" as a participle phrase, place, places)
EVENT_WORDS: dict[str, tuple[str, str, str, str, str]] = {
    "custody_detention": ("detention", "detentions", "detained", "custody suite", "custody suites"),
    "voluntary_attendance": (
        "voluntary attendance",
        "voluntary attendances",
        "attending a voluntary interview",
        "police station",
        "police stations",
    ),
    "out_of_court_decision": (
        "out-of-court decision",
        "out-of-court decisions",
        "given an out-of-court decision",
        "panel",
        "panels",
    ),
    "programme_adoption": ("adoption", "adoptions", "adopted", "scheme", "schemes"),
}
MIXED_EVENTS = ("index event", "index events", "with an index event", "site", "sites")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def verbatim(text: str) -> str:
    """Mark text the evaluator wrote (the programme's description, its name, a co-intervention's): printed as written."""
    return f"{_OPEN}{text}{_CLOSE}"


def _strip(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "")


@dataclass(frozen=True)
class Vocabulary:
    plural: str = "children"
    singular: str = "child"
    events: tuple[str, str, str, str, str] = EVENT_WORDS["custody_detention"]

    @classmethod
    def for_config(cls, config) -> "Vocabulary":
        p = config.programme
        word = getattr(p, "population", None) or ("children" if p.age_max <= 17 and p.design != "spells" else "people")
        kinds = tuple(getattr(p, "index_events", ("custody_detention",)))
        events = EVENT_WORDS[kinds[0]] if len(kinds) == 1 else MIXED_EVENTS
        return cls(word, {"children": "child", "young people": "young person", "people": "person"}[word], events)

    @property
    def is_children(self) -> bool:
        return self.plural == "children"

    @property
    def is_custody(self) -> bool:
        return self.events == EVENT_WORDS["custody_detention"]

    def _events(self, text: str) -> str:
        """Detentions at custody suites in this programme's words for its index events and their places."""
        event, events, detained, place, places = self.events

        def indexed(word: str) -> str:
            return word if word.startswith("index") else f"index {word}"

        subs: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
            (r"\bindex\s+arrests\b", indexed(events)),  # not "index index events" (also across a line break)
            (r"\bindex\s+arrest\b", indexed(event)),
            (r"\b([Aa]) (?:custody )?detention\b", lambda m: f"{_article(event) if m.group(1) == 'a' else _cap(_article(event))} {event}"),
            (r"\bCustody detentions\b", _cap(events)),
            (r"\bcustody detentions\b", events),
            (r"\b[Cc]ustody detention\b", event),
            (r"\bDetentions\b", _cap(events)),
            (r"\bdetentions\b", events),
            (r"\bDetention\b", _cap(event)),
            (r"\bdetention\b", event),
            (r"\bDetained\b", _cap(detained)),
            (r"\bdetained\b", detained),
            (r"\b(after|before|at|of|from) arrest\b", rf"\1 the {event}"),
            (r"\bat arrival\b", f"at the {event}"),
            (r"(?<![-\w])arrests\b", events),
            (r"(?<![-\w])arrested\b", detained),
            (r"(?<![-\w])arrest\b", event),
            (r"\b([Aa]) custody suite\b", lambda m: f"{_article(place) if m.group(1) == 'a' else _cap(_article(place))} {place}"),
            (r"\bcustody suite\(s\)", f"{place}(s)"),
            (r"\bCustody suites\b", _cap(places)),
            (r"\bcustody suites\b", places),
            (r"\bCustody suite\b", _cap(place)),
            (r"\bcustody suite\b", place),
            (r"\bprogramme suites\b", f"programme {places}"),
            (r"\bprogramme suite\b", f"programme {place}"),
            (r"\bprogramme's suite\b", f"programme's {place}"),
            (r"\bown suite\b", f"own {place}"),
        ]
        for pattern, repl in subs:
            text = re.sub(pattern, repl, text)
        # a place named with its own word ("Joint decision-making panel") is not followed by it again
        return re.sub(rf"\b{re.escape(place)} {re.escape(place)}\b", place, text, flags=re.IGNORECASE)

    def apply(self, text: str) -> str:
        """The text with child/children (and their possessives, in either case) in this vocabulary, and detentions
        at custody suites in the programme's words for its index events; text marked `verbatim` is printed as
        written (and the marks removed)."""
        if (self.is_children and self.is_custody) or not text:
            return _strip(text) if text else text
        kept: list[str] = []

        def hold(m: re.Match) -> str:
            kept.append(_strip(m.group(0)))
            return f"\x00{len(kept) - 1}\x00"

        out = re.sub(re.escape(_OPEN) + ".*?" + re.escape(_CLOSE), hold, text, flags=re.S)
        out = re.sub("|".join(re.escape(k) for k in _KEEP), hold, out)
        replace = {
            "children's": f"{self.plural}'s",
            "children": self.plural,
            "child's": f"{self.singular}'s",
            "child": self.singular,
        }

        def swap(m: re.Match) -> str:
            word = m.group(0)
            new = replace[word.lower()]
            return new[0].upper() + new[1:] if word[0].isupper() else new

        if not self.is_children:
            out = re.sub(r"\b(?:" + "|".join(re.escape(f) for f in _FORMS) + r")\b", swap, out)
        if not self.is_custody:
            out = self._events(out)
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], out)


__all__ = ["Vocabulary", "verbatim"]
