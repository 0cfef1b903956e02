"""The spaCy pipeline qualkit uses, built once per process.

``spacy.blank("en")`` plus a rule-based sentencizer works on a fresh machine with no model
download; nothing here fetches weights or data.
"""

from __future__ import annotations

import functools


@functools.cache
def blank_pipeline():
    """English tokenizer + sentencizer; cached, so every caller shares one pipeline."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp
