"""Imported by the fork server of a collect's parsing workers (`veille.process.LazyPool`): what
every worker needs is imported and loaded once, in the server, and the workers forked from it
share those pages. A failure here only means that each worker loads what it needs itself."""

from __future__ import annotations


def _preload() -> None:
    try:
        import veille.process  # noqa: F401 - the parsing stack
        from veille.stories import item_features  # noqa: F401 - dedup features
        from veille.tag import default_tagger

        default_tagger()
    except Exception:  # noqa: BLE001, S110 - see the module's docstring
        pass


_preload()
