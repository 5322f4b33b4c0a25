"""Entity label maps: rename a model's labels to a gold standard's (OntoNotes → CoNLL).

A map is a ``dict`` from predicted label to gold label; a predicted label missing from the map is
dropped. :func:`resolve_label_map` accepts a built-in name, a JSON file (an object of strings) or an
inline ``"A=B,C=D"`` list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

ONTONOTES_TO_CONLL: dict[str, str] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}

BUILTIN_MAPS: dict[str, dict[str, str]] = {
    "ontonotes-to-conll": ONTONOTES_TO_CONLL,
}

CONLL_LABELS = frozenset({"PER", "ORG", "LOC", "MISC"})


def parse_inline(spec: str) -> dict[str, str]:
    """``"PERSON=PER, GPE=LOC"`` → ``{"PERSON": "PER", "GPE": "LOC"}``."""
    mapping: dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        source, sep, target = item.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ValueError(f"bad label map entry {item!r}: expected FROM=TO")
        mapping[source.strip()] = target.strip()
    if not mapping:
        raise ValueError(f"empty label map {spec!r}")
    return mapping


def resolve_label_map(spec: str | None) -> dict[str, str] | None:
    """A label map from a built-in name, a JSON file path or inline ``"A=B,C=D"``; None stays None."""
    if spec is None or not spec.strip():
        return None
    spec = spec.strip()
    if spec in BUILTIN_MAPS:
        return dict(BUILTIN_MAPS[spec])
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.is_file():
        if not path.is_file():
            raise ValueError(f"label map file not found: {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read label map {path}: {exc}") from exc
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ValueError(f"label map {path} must be a JSON object of strings to strings")
        return dict(data)
    if "=" in spec:
        return parse_inline(spec)
    raise ValueError(
        f"unknown label map {spec!r}: use a built-in name ({', '.join(sorted(BUILTIN_MAPS))}), "
        "a JSON file or 'FROM=TO,...'")


def map_label(label: str, mapping: Mapping[str, str] | None) -> str | None:
    """The mapped label, the label itself without a map, None when the map drops it."""
    if mapping is None:
        return label
    return mapping.get(label)


def looks_like_conll(labels: Iterable[str]) -> bool:
    """True when every label is one of PER/ORG/LOC/MISC (and there is at least one)."""
    found = set(labels)
    return bool(found) and found <= CONLL_LABELS
