"""The word for the people a programme works with, in every sentence, table and caption of the report.

The report's text is written for Operation Alliance's children. A programme that also sees adults (a liaison and
diversion service, a multi-provider custody trial, IOM) is about *people*: `[programme] population` says which
("children", "young people" or "people"; by default children when the eligible ages end at 17 or below, people
otherwise). `Vocabulary.apply` rewrites the words for one child or several, keeping the names of things that are
about children whatever the programme (children's social care, the Children and Families pathway).
"""

from __future__ import annotations

import re
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


def verbatim(text: str) -> str:
    """Mark text the evaluator wrote (the programme's description, its name, a co-intervention's): printed as written."""
    return f"{_OPEN}{text}{_CLOSE}"


def _strip(text: str) -> str:
    return text.replace(_OPEN, "").replace(_CLOSE, "")


@dataclass(frozen=True)
class Vocabulary:
    plural: str = "children"
    singular: str = "child"

    @classmethod
    def for_config(cls, config) -> "Vocabulary":
        p = config.programme
        word = getattr(p, "population", None) or ("children" if p.age_max <= 17 and p.design != "spells" else "people")
        return cls(word, {"children": "child", "young people": "young person", "people": "person"}[word])

    @property
    def is_children(self) -> bool:
        return self.plural == "children"

    def apply(self, text: str) -> str:
        """The text with child/children (and their possessives, in either case) in this vocabulary; text marked
        `verbatim` is printed as written (and the marks removed)."""
        if self.is_children or not text:
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

        out = re.sub(r"\b(?:" + "|".join(re.escape(f) for f in _FORMS) + r")\b", swap, out)
        return re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], out)


__all__ = ["Vocabulary", "verbatim"]
