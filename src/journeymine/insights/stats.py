"""How a p-value is written for people, in the change messages and in the report."""

from __future__ import annotations

from typing import Any

import pandas as pd


def fmt_p(p: Any) -> str:
    """A p-value as people read it: '< 0.001', else three decimals ('–' when missing)."""
    if p is None or pd.isna(p):
        return "–"
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fisher_exact_two_sided(a: Any, b: Any, c: Any, d: Any) -> Any:
    """Two-sided Fisher exact p-values of the 2x2 tables [[a, b], [c, d]] (numpy arrays of
    counts, every row and column total positive), all tables at once instead of one call per
    table: scipy.stats.fisher_exact's algorithm (the sum of the hypergeometric probabilities not
    above the observed table's; the observed tail from scipy's cdf / sf, the other tail's start
    found by binary search on the pmf computed from log-gamma, which is many times faster on
    large tables). A table as probable as the observed one within a relative 1e-7 counts as
    extreme, as in R's fisher.test (scipy's 1e-14 margin is below log-gamma's precision)."""
    import numpy as np
    from scipy.special import gammaln  # lazily: scipy takes a while to import
    from scipy.stats import hypergeom

    a, b, c, d = (np.asarray(x, dtype=np.int64) for x in (a, b, c, d))
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2

    def pmf(x: Any, m: Any = slice(None)) -> Any:
        # the hypergeometric pmf from log-gamma (precise to about 1e-9 relative on large tables)
        big, good, draws = total[m], n1[m], n[m]
        inside = (x >= np.maximum(0, draws - (big - good))) & (x <= np.minimum(draws, good))
        k = np.where(inside, x, np.maximum(0, draws - (big - good)))  # 0 outside the support, as scipy's
        log_pmf = (gammaln(good + 1) - gammaln(k + 1) - gammaln(good - k + 1)
                   + gammaln(big - good + 1) - gammaln(draws - k + 1) - gammaln(big - good - draws + k + 1)
                   - gammaln(big + 1) + gammaln(draws + 1) + gammaln(big - draws + 1))
        return np.where(inside, np.exp(log_pmf), 0.0)

    mode = ((n + 1) * (n1 + 1) // (total + 2)).astype(np.int64)
    pexact = pmf(a)
    pmode = pmf(mode)
    gamma = 1 + 1e-7  # a table this close to the observed one's probability is as extreme
    p = np.ones(len(a))
    at_mode = np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= 1e-7

    def tail(function: Any, x: Any, m: Any) -> Any:
        return function(x[m], total[m], n1[m], n[m])

    # the observed table in the lower tail: add the upper tail from where the pmf falls to it
    lower = ~at_mode & (a < mode)
    p[lower] = tail(hypergeom.cdf, a, lower)
    search = lower & ~(pmf(n) > pexact * gamma)
    guess = _binary_search(lambda x, m: -pmf(x, m), -pexact * gamma, mode, n, search)
    p[search] += tail(hypergeom.sf, guess, search)
    # in the upper tail: add the lower tail up to where the pmf rises past it
    upper = ~at_mode & ~lower
    p[upper] = tail(hypergeom.sf, a - 1, upper)
    search = upper & ~(pmf(np.zeros_like(n)) > pexact * gamma)
    guess = _binary_search(lambda x, m: pmf(x, m), pexact * gamma, np.zeros_like(mode), mode, search)
    p[search] += tail(hypergeom.cdf, guess, search)
    return np.minimum(p, 1.0)


def _binary_search(values: Any, target: Any, lo: Any, hi: Any, active: Any) -> Any:
    """scipy's _binary_search_for_binom_tst on many searches at once: per search (where
    `active`), the i in lo..hi with values(i) <= target < values(i + 1), values ascending;
    `values(x, mask)` evaluates the searches selected by `mask` at x."""
    import numpy as np

    lo, hi = lo.copy(), hi.copy()
    found = np.full(len(lo), -1, dtype=np.int64)
    pending = active.copy()
    while True:
        step = pending & (lo < hi)
        if not step.any():
            break
        mid = lo[step] + (hi[step] - lo[step]) // 2
        value, goal = values(mid, step), target[step]
        idx = np.flatnonzero(step)
        lo[idx[value < goal]] = mid[value < goal] + 1
        hi[idx[value > goal]] = mid[value > goal] - 1
        equal = idx[value == goal]
        found[equal] = mid[value == goal]
        pending[equal] = False
    rest = np.flatnonzero(pending)
    if len(rest):
        mask = np.zeros(len(lo), dtype=bool)
        mask[rest] = True
        at_lo = values(lo[rest], mask) <= target[rest]
        found[rest] = np.where(at_lo, lo[rest], lo[rest] - 1)
    return found
