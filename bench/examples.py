"""Read NLU example texts from Rasa YAML files without loading Rasa."""

from __future__ import annotations

from pathlib import Path

import yaml


def example_texts(path: Path) -> list[str]:
    """Return the text of every example under an intent in a Rasa YAML NLU file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    texts: list[str] = []
    for item in document.get("nlu") or []:
        if "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(line[2:].strip())
    return texts
