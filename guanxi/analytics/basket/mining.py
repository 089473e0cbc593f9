"""Association rules from (basket, product) pairs with a sparse incidence matrix.

Pure numpy/scipy: no database here, so the same code serves the background job, the
tests (hand-computed baskets) and the benchmark.

X is the basket × product 0/1 matrix (scipy.sparse CSR). Column sums are the item counts
n(i); Xᵀ·X holds n(i ∧ j) for every pair. A product below the support threshold cannot
be in a rule that passes it (the Apriori property), so those columns are dropped before
the product. Rules with two products on the left ({a, b} → c) come from the frequent
pairs: the baskets holding both a and b form one more sparse column each, and that
matrix's transpose times X counts n(a ∧ b ∧ c) for every c at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]

# Frequent pairs looked at for two-product rules: the most frequent ones first.
MAX_PAIR_ANTECEDENTS = 5000


@dataclass(frozen=True)
class Thresholds:
    min_support: float = 0.005
    min_count: int = 3
    min_confidence: float = 0.2
    min_lift: float = 1.2
    max_rules: int = 500
    pair_antecedents: bool = True

    def min_baskets(self, baskets: int) -> int:
        """Baskets a rule needs: the larger of the support share and the count."""
        return max(int(self.min_count), math.ceil(self.min_support * baskets - 1e-9), 1)


@dataclass(frozen=True)
class Rule:
    antecedent: int
    antecedent_2: int | None
    consequent: int
    count: int
    antecedent_count: int
    consequent_count: int
    support: float
    confidence: float
    lift: float


@dataclass
class MiningResult:
    baskets: int = 0
    products: int = 0
    rules: list[Rule] = field(default_factory=list)


def _codes(values: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values (sorted) and each value's index among them.

    Ids are integers from the database: a presence table indexed by id does in one pass
    what `np.unique(return_inverse=True)` does with a sort, when the ids are dense enough.
    """
    if len(values) == 0:
        return values, values
    low, high = int(values.min()), int(values.max())
    if high - low <= 8 * len(values) + 1024:
        present = np.zeros(high - low + 1, dtype=bool)
        present[values - low] = True
        distinct = np.flatnonzero(present) + low
        position = np.cumsum(present, dtype=np.int64) - 1
        return distinct, position[values - low]
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.ravel()


def incidence(
    basket_ids: npt.ArrayLike, product_ids: npt.ArrayLike
) -> tuple[sparse.csc_matrix, IntArray]:
    """The basket × product 0/1 matrix (repeated lines count once), by columns, and the
    product id of each column."""
    baskets = np.asarray(basket_ids, dtype=np.int64)
    products = np.asarray(product_ids, dtype=np.int64)
    basket_list, rows = _codes(baskets)
    product_list, columns = _codes(products)
    matrix = sparse.csc_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, columns)),
        shape=(len(basket_list), len(product_list)),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix, product_list


def mine(
    basket_ids: npt.ArrayLike,
    product_ids: npt.ArrayLike,
    thresholds: Thresholds,
    progress: Callable[[int], None] | None = None,
) -> MiningResult:
    """All rules X → Y passing `thresholds`, strongest (lift, confidence, count) first."""
    report = progress or (lambda _percent: None)
    if len(np.asarray(basket_ids)) == 0:
        return MiningResult()
    matrix, product_of = incidence(basket_ids, product_ids)
    n = matrix.shape[0]
    item_counts = np.diff(matrix.indptr).astype(np.int64)
    need = thresholds.min_baskets(n)
    frequent = np.flatnonzero(item_counts >= need)
    result = MiningResult(baskets=n, products=len(product_of))
    report(40)
    if len(frequent) < 2:
        return result
    x = matrix[:, frequent]
    ids = product_of[frequent]
    counts = item_counts[frequent]
    pair_counts = (x.T @ x).tocsr()
    pairs = pair_counts.tocoo()
    keep = (pairs.row < pairs.col) & (pairs.data >= need)
    a, b, both = pairs.row[keep], pairs.col[keep], pairs.data[keep].astype(np.int64)
    report(60)

    # Each frequent pair gives a → b and b → a.
    left = np.concatenate([a, b])
    right = np.concatenate([b, a])
    joint = np.concatenate([both, both])
    confidence = joint / counts[left]
    lift = confidence * n / counts[right]
    ok = (confidence >= thresholds.min_confidence - 1e-12) & (lift >= thresholds.min_lift - 1e-12)
    columns: list[tuple[IntArray, IntArray | None, IntArray, IntArray, IntArray]] = [
        (left[ok], None, right[ok], joint[ok], counts[left[ok]])
    ]

    if thresholds.pair_antecedents and len(a):
        columns.extend(_pair_rules(x, pair_counts, counts, a, b, both, n, need, thresholds))
    report(80)

    rules: list[Rule] = []
    for first, second, consequent, together, left_count in columns:
        support = together / n
        conf = together / left_count
        lifts = conf * n / counts[consequent]
        for k in range(len(first)):
            rules.append(
                Rule(
                    antecedent=int(ids[first[k]]),
                    antecedent_2=None if second is None else int(ids[second[k]]),
                    consequent=int(ids[consequent[k]]),
                    count=int(together[k]),
                    antecedent_count=int(left_count[k]),
                    consequent_count=int(counts[consequent[k]]),
                    support=float(support[k]),
                    confidence=float(conf[k]),
                    lift=float(lifts[k]),
                )
            )
    rules.sort(key=lambda r: (-r.lift, -r.confidence, -r.count, r.antecedent, r.consequent))
    result.rules = rules[: thresholds.max_rules]
    report(90)
    return result


def _pair_columns(x: sparse.csc_matrix, a: IntArray, b: IntArray) -> sparse.csc_matrix:
    """Baskets × chosen pairs: column k marks the baskets holding both a[k] and b[k].

    Walks the baskets once: every pair of products inside a basket (i < j, from the CSR
    rows) is looked up among the chosen pairs; slicing the columns of popular products
    once per pair would copy them hundreds of times.
    """
    rows = x.tocsr()
    rows.sort_indices()
    lengths = np.diff(rows.indptr)
    starts = np.repeat(rows.indptr[:-1], lengths)
    position = np.arange(rows.nnz, dtype=np.int64) - starts  # index within its basket
    after = np.repeat(lengths, lengths) - 1 - position  # later items in the same basket
    first = np.repeat(np.arange(rows.nnz, dtype=np.int64), after)
    offset = np.arange(len(first), dtype=np.int64) - np.repeat(np.cumsum(after) - after, after)
    second = first + 1 + offset
    width = x.shape[1]
    keys = rows.indices[first].astype(np.int64) * width + rows.indices[second]
    wanted = a.astype(np.int64) * width + b
    order = np.argsort(wanted)
    found = np.searchsorted(wanted, keys, sorter=order)
    found = np.minimum(found, len(wanted) - 1)
    hit = wanted[order[found]] == keys
    basket = np.repeat(np.arange(rows.shape[0], dtype=np.int64), lengths)[first[hit]]
    return sparse.csc_matrix(
        (np.ones(int(hit.sum()), dtype=np.int32), (basket, order[found[hit]])),
        shape=(x.shape[0], len(a)),
    )


def _pair_rules(
    x: sparse.csc_matrix,
    pair_counts: sparse.csr_matrix,
    counts: IntArray,
    a: IntArray,
    b: IntArray,
    both: IntArray,
    n: int,
    need: int,
    thresholds: Thresholds,
) -> list[tuple[IntArray, IntArray | None, IntArray, IntArray, IntArray]]:
    """{a, b} → c for the frequent pairs, kept only when at least twice the minimum
    baskets hold all three and the pair predicts c better than either product alone
    (otherwise the single-product rule already says it)."""
    order = np.argsort(-both, kind="stable")[:MAX_PAIR_ANTECEDENTS]
    a, b, both = a[order], b[order], both[order]
    pair_matrix = _pair_columns(x, a, b)
    triples = (pair_matrix.T @ x).tocoo()
    p, c, together = triples.row, triples.col, triples.data.astype(np.int64)
    # A two-product rule rests on fewer baskets than its parts: it needs twice the
    # evidence, or a handful of coincidences would top the list by lift.
    keep = (together >= 2 * need) & (c != a[p]) & (c != b[p])
    p, c, together = p[keep], c[keep], together[keep]
    pair_count = both[p]
    confidence = together / pair_count
    lift = confidence * n / counts[c]
    ok = (confidence >= thresholds.min_confidence - 1e-12) & (lift >= thresholds.min_lift - 1e-12)
    p, c, together, pair_count, confidence = (
        p[ok],
        c[ok],
        together[ok],
        pair_count[ok],
        confidence[ok],
    )
    if not len(p):
        return []
    # Confidence of a → c and b → c, looked up in Xᵀ·X.
    with_a = np.asarray(pair_counts[a[p], c]).ravel() / counts[a[p]]
    with_b = np.asarray(pair_counts[b[p], c]).ravel() / counts[b[p]]
    better = confidence > np.maximum(with_a, with_b) + 1e-12
    return [(a[p][better], b[p][better], c[better], together[better], pair_count[better])]
