"""PyTorch reference for Kindling's ID learner and first-order MAML (bench/run Reference).

Trains the same learner as Kindling's `maml-id` method (a SASRec-style ID learner: item and position embeddings,
post-norm self-attention blocks, dot-product scores) on the split that `./kindling evaluate --export-split DIR` writes,
with the same procedure: next-item pre-training on windows of the old users' sequences (softmax against a shared sample
of items drawn by popularity, logQ-corrected), then first-order MAML over cold-start-shaped tasks (3-20 support items,
the next 10 as the query, Theta = everything but the item embeddings adapted by J SGD steps), early stopping of both on
the validation half, the adaptation rate chosen on the validation half, and NDCG@10 of the test half (next-item with ties counted as hits, and
next-n). One task at a time, the usual way to write MAML in PyTorch (torch.func.functional_call + autograd.grad).

Prints one JSON line: quality per seed and meta-training tasks per second. Test and benchmark infrastructure only:
never a dependency of the product.
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call


def read_split(directory):
    with open(os.path.join(directory, "split.json")) as f:
        split = json.load(f)

    def sequences(name):
        users = {}
        with open(os.path.join(directory, name)) as f:
            for line in f:
                user, items, times = line.rstrip("\n").split("\t")
                users[user] = (np.array([int(i) for i in items.split()], dtype=np.int64),
                               np.array([int(t) for t in times.split()], dtype=np.int64))
        return users

    return split, sequences("old.tsv"), sequences("new.tsv")


class IdLearner(torch.nn.Module):
    """Item + position embeddings, layer norm, dropout, L post-norm blocks (Kindling's IdLearner without features)."""

    def __init__(self, items, hidden, layers, heads, inner, dropout, max_length):
        super().__init__()
        self.heads, self.dropout, self.max_length = heads, dropout, max_length
        self.item = torch.nn.Parameter(torch.randn(items + 1, hidden) * 0.02)
        self.pos = torch.nn.Parameter(torch.randn(max_length, hidden) * 0.02)
        self.emb_ln = torch.nn.LayerNorm(hidden, eps=1e-12)
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            block = torch.nn.ModuleDict({
                "q": torch.nn.Linear(hidden, hidden), "k": torch.nn.Linear(hidden, hidden),
                "v": torch.nn.Linear(hidden, hidden), "o": torch.nn.Linear(hidden, hidden),
                "ln1": torch.nn.LayerNorm(hidden, eps=1e-12), "w1": torch.nn.Linear(hidden, inner),
                "w2": torch.nn.Linear(inner, hidden), "ln2": torch.nn.LayerNorm(hidden, eps=1e-12)})
            for name in ("q", "k", "v", "o", "w1", "w2"):
                torch.nn.init.normal_(block[name].weight, std=0.02)
                torch.nn.init.zeros_(block[name].bias)
            self.blocks.append(block)

    def forward(self, items):
        b, n = items.shape
        x = self.item[items] + self.pos[self.max_length - n:]
        x = F.dropout(self.emb_ln(x), self.dropout, self.training) * (items != 0).unsqueeze(-1)
        allowed = torch.tril(torch.ones(n, n, dtype=torch.bool)) & (items != 0).view(b, 1, 1, n)
        mask = (~allowed).float() * -1e9
        dk = x.shape[-1] // self.heads
        for block in self.blocks:
            def split(t):
                return t.view(b, n, self.heads, dk).transpose(1, 2)
            q, k, v = split(block["q"](x)), split(block["k"](x)), split(block["v"](x))
            att = F.dropout(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dk) + mask, -1), self.dropout,
                            self.training)
            context = (att @ v).transpose(1, 2).reshape(b, n, -1)
            h = block["ln1"](x + F.dropout(block["o"](context), self.dropout, self.training))
            ffn = block["w2"](torch.relu(block["w1"](h)))
            x = block["ln2"](h + F.dropout(ffn, self.dropout, self.training))
        return x


def batch(windows, max_length):
    """Right-aligned windows (at most max_length + 1 items): inputs, next items, weights."""
    n = max(min(len(w), max_length + 1) - 1 for w in windows)
    x = np.zeros((len(windows), n), dtype=np.int64)
    y = np.zeros_like(x)
    for r, w in enumerate(windows):
        w = w[-(max_length + 1):]
        m = len(w) - 1
        x[r, n - m:] = w[:-1]
        y[r, n - m:] = w[1:]
    return torch.tensor(x), torch.tensor(y)


def position_losses(encoded, item_table, targets, candidates=None, log_q=None):
    """-log softmax of the next item against every item (or a shared sample, each logit minus log_q when the sample
    was drawn from a proposal q: log_q[i] = log(s q_i)), per position."""
    if candidates is None:
        logits = encoded @ item_table.T
        logits[..., 0] = -1e9
        return -torch.log_softmax(logits, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    positive = (encoded * item_table[targets]).sum(-1, keepdim=True)
    others = encoded @ item_table[candidates].T
    if log_q is not None:
        positive = positive - log_q[targets].unsqueeze(-1)
        others = others - log_q[candidates].view(1, 1, -1)
    others = others + (candidates.view(1, 1, -1) == targets.unsqueeze(-1)).float() * -1e9
    return -torch.log_softmax(torch.cat([positive, others], -1), -1)[..., 0]


def windows_of(sequences, max_length, rng):
    out = []
    for items in sequences:
        if len(items) < 2:
            continue
        end = len(items) - (rng.integers(max_length) if len(items) > max_length + 1 else 0)
        if end < len(items):
            out.append(items[max(0, len(items) - max_length - 1):])
        while end >= 2:
            out.append(items[max(0, end - max_length - 1):end])
            end -= max_length
    return out


def episode(items, max_length, rng):
    longest = min(len(items), max_length + 1)
    support = min(3 + rng.integers(18), longest - 1)
    query = min(10, longest - support)
    length = support + query
    start = 0 if rng.random() < 0.5 else rng.integers(len(items) - length + 1)
    return items[start:start + length], support - 1


def query_of(items, times, k, next_n):
    """The support (first k - 1) and the relevant items, or None (protocol of Kindling's Protocol class)."""
    if len(items) < k:
        return None
    support = items[:k - 1]
    in_support = set(support.tolist())
    if not next_n:
        relevant = [int(items[k - 1])]
        for i in range(k - 1, len(items)):
            if times[i] != times[k - 1]:
                break
            if int(items[i]) not in in_support and int(items[i]) not in relevant:
                relevant.append(int(items[i]))
        return support, relevant, True
    relevant = []
    for i in range(k - 1, min(len(items), k - 1 + 10)):
        if int(items[i]) not in in_support and int(items[i]) not in relevant:
            relevant.append(int(items[i]))
    return (support, relevant, False) if relevant else None


def ndcg10(scores, support, relevant, any_hit):
    """NDCG@10 with Kindling's rules: support items not ranked, ties count half."""
    skip = np.zeros(len(scores), dtype=bool)
    skip[0] = True
    skip[support] = True
    is_relevant = np.zeros(len(scores), dtype=bool)
    is_relevant[relevant] = True
    skip[relevant] = False
    others = scores[~skip & ~is_relevant]
    above = sorted(int((others > scores[r]).sum() + (others == scores[r]).sum() // 2) for r in relevant)
    if any_hit:
        return 1 / math.log2(above[0] + 2) if above[0] < 10 else 0.0
    dcg = sum(1 / math.log2(a + j + 2) for j, a in enumerate(above) if a + j < 10)
    idcg = sum(1 / math.log2(j + 2) for j in range(min(10, len(relevant))))
    return dcg / idcg


class Trainer:
    def __init__(self, args, items):
        self.args = args
        self.items = items
        self.model = IdLearner(items, args.hidden, args.layers, args.heads, args.inner, args.dropout, args.max_length)
        self.theta = [n for n, _ in self.model.named_parameters() if n != "item"]

    def params(self):
        return dict(self.model.named_parameters())

    def support_loss(self, params, x, y, w):
        self.model.train(self.args.dropout > 0 and self.model.training)
        encoded = functional_call(self.model, params, (x,))
        losses = position_losses(encoded, params["item"], y)
        return (losses * w).sum() / (w.sum() + 1e-12)

    def adapt(self, params, x, y, w, steps, rate, create_graph=False):
        """J SGD steps on Theta (first-order: the gradients are constants)."""
        adapted = dict(params)
        for _ in range(steps):
            loss = self.support_loss(adapted, x, y, w)
            grads = torch.autograd.grad(loss, [adapted[n] for n in self.theta], create_graph=create_graph)
            for n, g in zip(self.theta, grads):
                adapted[n] = adapted[n] - rate * g.detach()
        return adapted

    def scores(self, users, steps, rate):
        self.model.eval()
        out = []
        params = {n: p.detach().requires_grad_(n != "item") for n, p in self.params().items()}
        for support in users:
            adapted = params
            if steps > 0 and len(support) >= 2:
                x, y = batch([support], self.args.max_length)
                adapted = self.adapt(params, x, y, (y > 0).float(), steps, rate)
            x, _ = batch([np.append(support, 0)], self.args.max_length)
            with torch.no_grad():
                encoded = functional_call(self.model, {n: p.detach() for n, p in adapted.items()}, (x,))
                out.append((encoded[0, -1] @ params["item"].detach().T).numpy())
        return out

    def validate(self, queries, steps, rate):
        scores = self.scores([q[0] for q in queries], steps, rate)
        return float(np.mean([ndcg10(s, q[0], q[1], q[2]) for s, q in zip(scores, queries)]))

    def pretrain(self, sequences, validation, rng):
        args = self.args
        optimiser = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        best, best_state, since = -1.0, None, 0
        # candidates drawn with q_i proportional to (count_i + 1)^0.75, logits corrected by log(s q_i), as Kindling's
        # PopularityProposal
        counts = np.zeros(self.items + 1)
        for items in sequences:
            np.add.at(counts, items, 1)
        q = (counts + 1) ** 0.75
        q[0] = 0
        q /= q.sum()
        samples = min(1024, self.items)
        log_q = torch.tensor(np.log(np.maximum(q, 1e-30) * samples), dtype=torch.float32)
        for epoch in range(1, args.pretrain_epochs + 1):
            self.model.train()
            windows = windows_of(sequences, args.max_length, rng)
            rng.shuffle(windows)
            for start in range(0, len(windows), 64):
                x, y = batch(windows[start:start + 64], args.max_length)
                encoded = self.model(x)
                candidates = torch.tensor(rng.choice(self.items + 1, samples, p=q)) if self.items > 1024 else None
                losses = position_losses(encoded, self.model.item, y, candidates, log_q)
                w = (y > 0).float()
                loss = (losses * w).sum() / w.sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            if epoch % 5 == 0 or epoch == args.pretrain_epochs:
                score = self.validate(validation, args.steps, args.rate)
                if score > best:
                    best, best_state, since = score, {k: v.clone() for k, v in self.model.state_dict().items()}, 0
                else:
                    since += 1
                    if since >= args.patience:
                        break
        if best_state is not None:
            self.model.load_state_dict(best_state)

    def meta_train(self, sequences, validation, rng):
        """First-order MAML: per task, J inner steps on the support, the query loss at the adapted Theta; the sum of
        the tasks' gradients (Theta's taken at the adapted values) is one Adam step."""
        args = self.args
        optimiser = torch.optim.Adam(self.model.parameters(), lr=args.outer_rate)
        eligible = [s for s in sequences if len(s) >= 3]
        best = self.validate(validation, args.steps, args.rate)
        best_state, since, tasks, seconds = {k: v.clone() for k, v in self.model.state_dict().items()}, 0, 0, 0.0
        for epoch in range(1, args.meta_epochs + 1):
            order = rng.permutation(len(eligible))
            started = time.perf_counter()
            for start in range(0, len(order), args.tasks_per_batch):
                optimiser.zero_grad()
                for u in order[start:start + args.tasks_per_batch]:
                    self.model.train()
                    window, support_targets = episode(eligible[u], args.max_length, rng)
                    x, y = batch([window], args.max_length)
                    n = x.shape[1]
                    support_w = torch.zeros(1, n)
                    query_w = torch.zeros(1, n)
                    targets = len(window) - 1
                    support_w[0, n - targets:n - targets + support_targets] = 1
                    query_w[0, n - targets + support_targets:] = 1
                    params = self.params()
                    detached = {k: (v.detach().requires_grad_(True) if k in self.theta else v)
                                for k, v in params.items()}
                    adapted = self.adapt(detached, x, y, support_w, args.steps, args.rate)
                    probe = {k: adapted[k].detach().requires_grad_(True) for k in self.theta}
                    query = self.support_loss({**adapted, **probe, "item": params["item"]}, x, y, query_w)
                    grads = torch.autograd.grad(query, [probe[k] for k in self.theta] + [params["item"]])
                    for name, g in zip(self.theta + ["item"], grads):
                        p = params[name]
                        p.grad = g if p.grad is None else p.grad + g
                    tasks += 1
                optimiser.step()
            seconds += time.perf_counter() - started
            score = self.validate(validation, args.steps, args.rate)
            if score > best:
                best, best_state, since = score, {k: v.clone() for k, v in self.model.state_dict().items()}, 0
            else:
                since += 1
                if since >= args.patience:
                    break
        self.model.load_state_dict(best_state)
        return tasks, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", required=True)
    parser.add_argument("--seeds", default="1")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--inner", type=int, default=256)
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--max-length", type=int, default=50)
    parser.add_argument("--pretrain-epochs", type=int, default=20)
    parser.add_argument("--meta-epochs", type=int, default=3)
    parser.add_argument("--tasks-per-batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--rates", default="0.01,0.05,0.2")
    parser.add_argument("--outer-rate", type=float, default=1e-3)
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    split, old, new = read_split(args.split)
    items = split["items"]
    results = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        halves = split["seeds"][str(seed)]

        def queries(users, next_n):
            out = []
            for u in users:
                q = query_of(new[u][0], new[u][1], args.k, next_n)
                if q is not None:
                    out.append(q)
            return out

        validation = queries(halves["validation"], False)
        trainer = Trainer(args, items)
        sequences = [v[0] for v in old.values()]
        started = time.perf_counter()
        trainer.pretrain(sequences, validation, rng)
        tasks, meta_seconds = trainer.meta_train(sequences, validation, rng)
        rates = [float(r) for r in args.rates.split(",")]
        rate = max(rates, key=lambda r: trainer.validate(validation, args.steps, r))
        row = {"seed": seed, "rate": rate, "tasks": tasks, "metaSeconds": meta_seconds,
               "tasksPerSecond": tasks / meta_seconds if meta_seconds > 0 else 0.0,
               "trainSeconds": time.perf_counter() - started}
        for label, next_n in (("next-item", False), ("next-n", True)):
            test = queries(halves["test"], next_n)
            row[label] = trainer.validate(test, args.steps, rate)
            row[label + "Users"] = len(test)
        results.append(row)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
