"""The domain adapter: LoRA matrices trained by ``indexer.embedding.finetune``, merged into the model.

An adapter is a safetensors file of ``<layer>.lora_A`` (r × in) and ``<layer>.lora_B`` (out × r) float32
matrices plus metadata (``format``, ``scale`` = alpha / r, ``base_sha256`` of the model it was trained
on). Applying it needs no ``peft``: every adapted weight becomes ``W + scale · B @ A`` (plain numpy),
written as a new sentence-transformers folder in the conversion cache, keyed by (source sha256, adapter
sha256), into a temporary sibling renamed into place. The embedder then loads that folder like any other,
so a merged model runs exactly as fast as the base one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.errors import ModelUnavailable

FORMAT = "plansearch-lora-1"
ADAPTER_FILE = "adapter.safetensors"
WEIGHTS = "model.safetensors"
MARKER = "MERGED.json"  # written last: a folder without it is incomplete
BUNDLED_ADAPTER = Path(__file__).resolve().parents[1] / "resources" / "adapter" / ADAPTER_FILE


class AdapterError(ModelUnavailable):
    """The adapter file is missing, unreadable, or does not fit the model."""


@dataclass(frozen=True, slots=True, eq=False)
class Adapter:
    """A loaded adapter: its file, sha256, scale and the (A, B) pair of every adapted layer."""

    path: Path
    sha256: str
    scale: float
    base_sha256: str
    layers: tuple[tuple[str, np.ndarray, np.ndarray], ...]  # (weight name without ".weight", A, B)


def resolve_path(setting: str) -> Path | None:
    """``"none"`` → None; ``"bundled"`` → the adapter shipped in ``indexer/resources/adapter/``; else the
    path given (a file, or a folder holding ``adapter.safetensors``)."""
    if setting == "none":
        return None
    if setting == "bundled":
        return BUNDLED_ADAPTER
    path = Path(setting).expanduser()
    return path / ADAPTER_FILE if path.is_dir() else path


def load_adapter(path: str | Path) -> Adapter:
    """Read and check an adapter file. Raises ``AdapterError`` with one line on any problem."""
    path = Path(path)
    if not path.is_file():
        raise AdapterError(f"embedding adapter {path} not found")
    data = path.read_bytes()
    try:
        from safetensors import safe_open
        from safetensors.numpy import load

        tensors = load(data)
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
    except Exception as err:  # safetensors raises its own error types for a damaged header
        raise AdapterError(
            f"embedding adapter {path} is not a readable safetensors file ({type(err).__name__})"
        ) from None
    if meta.get("format") != FORMAT:
        raise AdapterError(f"embedding adapter {path} is not a {FORMAT} file")
    try:
        scale = float(meta["scale"])
    except (KeyError, ValueError):
        raise AdapterError(f"embedding adapter {path} has no valid scale") from None
    layers = []
    for name in sorted(k.removesuffix(".lora_A") for k in tensors if k.endswith(".lora_A")):
        a, b = tensors[f"{name}.lora_A"], tensors.get(f"{name}.lora_B")
        if b is None or a.ndim != 2 or b.ndim != 2 or b.shape[1] != a.shape[0]:
            raise AdapterError(f"embedding adapter {path}: layer {name} has no matching lora_B")
        layers.append((name, a.astype(np.float32), b.astype(np.float32)))
    if not layers or len(tensors) != 2 * len(layers):
        raise AdapterError(f"embedding adapter {path} holds no complete LoRA layers")
    return Adapter(path, hashlib.sha256(data).hexdigest(), scale, meta.get("base_sha256", ""), tuple(layers))


def merge_weights(weights: dict[str, np.ndarray], adapter: Adapter) -> dict[str, np.ndarray]:
    """A copy of ``weights`` with ``W + scale · B @ A`` for every adapted layer (float32)."""
    merged = dict(weights)
    for name, a, b in adapter.layers:
        key = f"{name}.weight"
        w = weights.get(key)
        if w is None or w.shape != (b.shape[0], a.shape[1]):
            raise AdapterError(f"embedding adapter {adapter.path} does not fit the model (layer {name})")
        merged[key] = (w.astype(np.float32) + np.float32(adapter.scale) * (b @ a)).astype(np.float32)
    return merged


def merged_dir(cache_dir: Path, source_sha256: str, adapter: Adapter, prefix: str = "e5-small") -> Path:
    return Path(cache_dir) / f"{prefix}-{source_sha256[:16]}-lora-{adapter.sha256[:16]}"


def is_complete(folder: Path, adapter: Adapter) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("adapter_sha256") == adapter.sha256


def ensure_merged(base: Path, source_sha256: str, adapter: Adapter, cache_dir: Path) -> Path:
    """The folder of ``base`` (a sentence-transformers folder) with ``adapter`` merged in, written once."""
    from safetensors.numpy import load_file, save_file

    if adapter.base_sha256 and adapter.base_sha256 != source_sha256:
        raise AdapterError(
            f"embedding adapter {adapter.path} was trained on model {adapter.base_sha256[:16]}, not {source_sha256[:16]}"
        )
    final = merged_dir(cache_dir, source_sha256, adapter)
    if is_complete(final, adapter):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=final.name + ".tmp-", dir=final.parent))
    try:
        tmp.chmod(0o755)
        for item in base.iterdir():
            if item.name in (WEIGHTS, MARKER) or item.name.startswith("CONVERTED"):
                continue
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp / item.name)
        save_file(merge_weights(load_file(str(base / WEIGHTS)), adapter), str(tmp / WEIGHTS))
        marker = {
            "source_sha256": source_sha256,
            "adapter_sha256": adapter.sha256,
            "scale": adapter.scale,
            "layers": len(adapter.layers),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:  # another process won the race, or a stale incomplete folder is in the way
            if is_complete(final, adapter):
                shutil.rmtree(tmp, ignore_errors=True)
                return final
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
