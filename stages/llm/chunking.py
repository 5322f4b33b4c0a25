"""Split long texts into pieces that fit a model's context window.

Token counts are estimated from characters (``CHARS_PER_TOKEN`` = 3, conservative for English with
SmolLM2's tokenizer, ~4.2) so splitting a 200,000-word document costs no tokenizer calls.
"""

from __future__ import annotations

import re
from collections import Counter

CHARS_PER_TOKEN = 3
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's word tokens, lower-cased."""
    return [w.lower() for w in _WORD.findall(text)]


def estimate_tokens(text: str) -> int:
    return max(1, -(-len(text) // CHARS_PER_TOKEN))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _split_long(piece: str, max_chars: int) -> list[str]:
    words, out, current = piece.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > max_chars:
            out.append(current)
            current = ""
        while len(word) > max_chars:  # a single giant "word" (no spaces)
            out.append(word[:max_chars])
            word = word[max_chars:]
        current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def chunk_text(text: str, max_tokens: int) -> list[str]:
    """Greedy packing of paragraphs, then sentences, then words into chunks of at most ``max_tokens``."""
    max_chars = max(16, max_tokens * CHARS_PER_TOKEN)
    if len(text) <= max_chars:
        return [text] if text.strip() else []
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        if len(paragraph) <= max_chars:
            pieces.append(paragraph.strip())
            continue
        for sentence in split_sentences(paragraph):
            pieces.extend([sentence] if len(sentence) <= max_chars else _split_long(sentence, max_chars))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        sep = "\n\n" if "\n" in piece or not current else " "
        if current and len(current) + len(sep) + len(piece) > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}{sep}{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def condense(chunks: list[str], groups: int, max_tokens: int) -> list[str]:
    """Reduce any number of chunks to at most ``groups`` chunks of at most ``max_tokens`` each.

    Consecutive chunks are grouped evenly; from each group the most salient sentences (by document-
    wide word frequency, stop-word-light) are kept in their original order until the group's text
    fits one chunk. Extractive, deterministic and linear in the document's length.
    """
    if len(chunks) <= groups:
        return chunks
    frequencies = Counter(w for chunk in chunks for w in words(chunk) if len(w) > 3)
    size = -(-len(chunks) // groups)
    max_chars = max_tokens * CHARS_PER_TOKEN
    condensed: list[str] = []
    for start in range(0, len(chunks), size):
        sentences = [s for chunk in chunks[start:start + size] for s in split_sentences(chunk)]

        def salience(index: int, sentences: list[str] = sentences) -> float:
            tokens = [w for w in words(sentences[index]) if len(w) > 3]
            return sum(frequencies[t] for t in tokens) / (len(tokens) + 4) if tokens else 0.0

        chosen: list[int] = []
        used = 0
        for index in sorted(range(len(sentences)), key=salience, reverse=True):
            length = len(sentences[index]) + 1
            if used + length > max_chars:
                continue
            chosen.append(index)
            used += length
        condensed.append(" ".join(sentences[i] for i in sorted(chosen)) or chunks[start][:max_chars])
    return condensed
