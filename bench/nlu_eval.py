"""Parse every held-out example with trained models and save the raw predictions as JSON.

Runs in its own process (`python -m bench.nlu_eval`) so that Rasa and TensorFlow load
there and not in the benchmark driver.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
from typing import Any

# Enough of the ranking to re-apply the FallbackClassifier at other thresholds.
RANKING_KEEP = 5


def load_examples(path: Path) -> list[tuple[str, str]]:
    """Return (text, intent) for every intent example in a Rasa NLU file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path), language="sv")
    return [(example.get("text"), example.get("intent")) for example in data.intent_examples]


def selected_response(parsed: dict[str, Any]) -> dict[str, Any] | None:
    """Return the ResponseSelector's pick (retrieval intent and confidence), if any."""
    selector = parsed.get("response_selector") or {}
    for key in selector.get("all_retrieval_intents") or []:
        picked = (selector.get(key) or {}).get("response") or {}
        if picked.get("intent_response_key"):
            return {"key": picked["intent_response_key"], "confidence": picked["confidence"]}
    picked = (selector.get("default") or {}).get("response") or {}
    if picked.get("intent_response_key"):
        return {"key": picked["intent_response_key"], "confidence": picked["confidence"]}
    return None


def prediction(parsed: dict[str, Any], gold: str) -> dict[str, Any]:
    """Reduce one parse result to what the metrics need."""
    intent = parsed.get("intent") or {}
    ranking = [
        {"name": entry["name"], "confidence": float(entry["confidence"])}
        for entry in (parsed.get("intent_ranking") or [])[: RANKING_KEEP + 1]
    ]
    return {
        "text": parsed.get("text"),
        "gold": gold,
        "intent": intent.get("name"),
        "confidence": float(intent.get("confidence") or 0.0),
        "ranking": ranking,
        "selected": selected_response(parsed),
    }


async def predict(
    model: Path, datasets: dict[Path, list[tuple[str, str]]]
) -> dict[Path, list[dict[str, Any]]]:
    """Parse each data set with one model, the way the Rasa server's NLU step does."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    results: dict[Path, list[dict[str, Any]]] = {}
    for path, examples in datasets.items():
        results[path] = [
            prediction(await agent.parse_message(text), gold) for text, gold in examples
        ]
    return results


def output_path(out: Path, model: Path, data: Path) -> Path:
    """Where the predictions of one model on one data file go."""
    return out / f"{model.name.removesuffix('.tar.gz')}--{data.stem}.json"


def main(argv: list[str] | None = None) -> None:
    """Command line: parse each --data file with each model into --out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--model", type=Path, action="append", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    datasets = {path: load_examples(path) for path in args.data}
    args.out.mkdir(parents=True, exist_ok=True)
    for model in args.model:
        for path, predictions in asyncio.run(predict(model, datasets)).items():
            output_path(args.out, model, path).write_text(
                json.dumps(predictions, ensure_ascii=False, indent=1), encoding="utf-8"
            )


if __name__ == "__main__":
    main()
