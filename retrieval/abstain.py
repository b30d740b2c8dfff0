"""Whether the plans answer a question: a calibrated model, not hand-set thresholds.

A logistic regression over a few signals of the ranking (Platt-style calibration: its output is a
probability), fitted by ``python -m retrieval.eval.fit_abstain`` on development questions only and kept
as data in ``abstain.json`` (coefficients, feature names, what it was trained on, the dtype of the
vectors it saw). The probability is the answer's ``confidence`` (置信度: ``search --json``; the app shows no
figure, tests/test_app_chrome.py); the answer abstains below the model's threshold.

Signals (each over the three best hits, computed the same way for every index):
- ``dense``: the best cosine of a hit (its best sentence or its whole text) to the question;
- ``coverage``: the largest IDF-weighted share of the question's terms found in one hit;
- ``agreement``: how many of the dense top 5 are also in the lexical top 5 (0..1);
- ``lexical``: whether any hit was found by the lexical list at all.

Tried and dropped: the IDF-weighted share of the question's words that occur in no searchable clause
(its fitted weight had the wrong sign: it added nothing the coverage signal does not carry).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("dense", "coverage", "agreement", "lexical")
MODEL_FILE = Path(__file__).resolve().parent / "abstain.json"


@dataclass(frozen=True, slots=True)
class Calibration:
    features: tuple[str, ...]
    mean: tuple[float, ...]  # standardisation fitted with the model
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer when the probability is at least this

    def probability(self, x: np.ndarray) -> float:
        z = (np.asarray(x, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        return float(1.0 / (1.0 + math.exp(-(float(z @ np.asarray(self.weights)) + self.bias))))


@functools.lru_cache(maxsize=4)
def calibration(embedding_model: str | None = None, path: Path = MODEL_FILE) -> Calibration | None:
    """The fitted model, or None when it was fitted for another embedding model (cosines of different
    models are not on one scale): the caller then falls back to the uncalibrated rule."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if embedding_model is not None and data["trained_on"]["embedding_model"] != embedding_model:
        return None
    model = data["model"]
    return Calibration(tuple(model["features"]), tuple(model["mean"]), tuple(model["scale"]),
                       tuple(model["weights"]), float(model["bias"]), float(model["threshold"]))


def features(searcher, pq, hits) -> np.ndarray:
    """The signals of the top of a ranking (see the module docstring), in FEATURES order."""
    top = hits[:3]
    if not top:
        return np.zeros(len(FEATURES))
    signals = [searcher.signals(pq, h) for h in top]
    dense_top = {h.clause_id for h in hits[:5] if h.dense_rank is not None and h.dense_rank <= 5}
    lexical_top = {h.clause_id for h in hits[:5] if h.lexical_rank is not None and h.lexical_rank <= 5}
    return np.array([
        max(s.dense for s in signals),
        max(s.coverage for s in signals),
        len(dense_top & lexical_top) / 5.0,
        float(any(h.lexical_rank is not None for h in top)),
    ])


def answerable(searcher, pq, hits) -> tuple[float, float] | None:
    """(probability that the best hits answer the question, the threshold to answer), or None when no
    calibration exists for the index's embedding model."""
    model = calibration(searcher.index.manifest.model)
    if model is None:
        return None
    return model.probability(features(searcher, pq, hits)), model.threshold


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Logistic regression by Newton's method on standardised features with an L2 penalty (not on the
    bias). Returns (weights, bias, mean, scale). Deterministic."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.diag([l2] * (z.shape[1] - 1) + [0.0])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], float(w[-1]), mean, scale
