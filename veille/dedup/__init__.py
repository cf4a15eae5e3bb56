"""Near-duplicate detection: "the same story told differently". Pure code, no I/O.

An agency notice and the press articles about it are distinct items (different URLs,
paraphrased titles) that share a *story*. One idea a module:

* `veille.dedup.text`: text normalisation for comparison (cleaning, folding, numbers, stems);
* `veille.dedup.features`: what is compared of a document (tokens, names, products, places);
* `veille.dedup.similarity`: the decision for two documents (score, and what can never match);
* `veille.dedup.index`: the windowed index that gives each new document its story;
* `veille.dedup.docs`: the data in and out (`StoryDoc`, `StoryMatch`, story ids).

`veille.stories` keeps the database in step with these decisions.
"""

from veille.dedup.docs import (
    DEFAULT_SPAN,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    StoryDoc,
    StoryMatch,
    new_story_id,
    representative,
)
from veille.dedup.features import Features, features
from veille.dedup.index import StoryIndex
from veille.dedup.similarity import conflict, similarity
from veille.dedup.text import BOILERPLATE, DISEASES, GENERIC, clean_title, fold, tokens

__all__ = [
    "BOILERPLATE",
    "DEFAULT_SPAN",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WINDOW",
    "DISEASES",
    "GENERIC",
    "Features",
    "StoryDoc",
    "StoryIndex",
    "StoryMatch",
    "clean_title",
    "conflict",
    "features",
    "fold",
    "new_story_id",
    "representative",
    "similarity",
    "tokens",
]
