"""What recall searches for: the words of a question, without English function words."""

from __future__ import annotations

import re

# Function words dropped from recall's full-text query: with any-term matching they match nearly
# everything and drown the content words (LoCoMo evidence R@10 54.5 -> 58.5, tools/bench_locomo.py).
STOP_WORDS = frozenset(
    """a an the is are was were be been being do does did done what when where who whom whose which why how
    to of in on at for with by from and or not it its this that these those i you he she they we me him
    her them my your his their our as has have had will would can could should about into than then there
    here if so any some""".split()
)
_WORD = re.compile(r"\w+")


def keyword_query(query: str) -> str:
    """The words of `query` worth searching for: stop words go, unless nothing else is left."""
    words = _WORD.findall(query)
    content = [w for w in words if w.lower() not in STOP_WORDS]
    return " ".join(content or words)
