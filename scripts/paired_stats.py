"""Paired statistics for performance tracking (scripts/track-perf): the median ratio of two
builds' times over interleaved rounds, with a distribution-free confidence interval, and
the verdict it supports.

The per-round ratios r_i = time_B / time_A are taken as logarithms d_i. The estimate is
the Hodges-Lehmann median of the Walsh averages (d_i + d_j) / 2, i <= j; the interval is
the Wilcoxon signed-rank one: the k-th smallest and k-th largest Walsh averages, k from the
exact null distribution of the signed-rank statistic (a normal approximation above
EXACT_MAX_N rounds). It assumes only that the log ratios are symmetric about their centre,
which makes a drift that slows both builds alike drop out.
"""
import math

EXACT_MAX_N = 200
MIN_ROUNDS = 6  # with fewer, no 95% signed-rank interval excludes anything


def signed_rank_counts(n):
    """counts[w]: how many of the 2^n sign patterns give signed-rank statistic w."""
    top = n * (n + 1) // 2
    counts = [0] * (top + 1)
    counts[0] = 1
    reach = 0
    for rank in range(1, n + 1):
        reach += rank
        for w in range(reach, rank - 1, -1):
            counts[w] += counts[w - rank]
    return counts


def critical_rank(n, confidence):
    """The k of the interval [w_(k), w_(M - k + 1)]: the largest k with P(W < k) <= alpha/2;
    0 when no interval at this confidence exists (too few rounds)."""
    alpha = 1.0 - confidence
    if n <= EXACT_MAX_N:
        counts = signed_rank_counts(n)
        total = float(2 ** n)
        cumulative, k = 0.0, 0
        for w, count in enumerate(counts):
            cumulative += count / total
            if cumulative > alpha / 2:
                break
            k = w + 1
        return k
    mean = n * (n + 1) / 4.0
    sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
    z = normal_quantile(1 - alpha / 2)
    return max(0, int(math.floor(mean - z * sd)))


def normal_quantile(p):
    """The standard normal quantile, by bisection on erf (ample for a critical value)."""
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def median(values):
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def ratio_interval(ratios, confidence=0.95):
    """(estimate, low, high) of the median ratio; low and high are None when there are too
    few rounds for an interval at this confidence."""
    if not ratios or any(not (r > 0 and math.isfinite(r)) for r in ratios):
        raise ValueError("ratios must be finite and > 0")
    logs = [math.log(r) for r in ratios]
    n = len(logs)
    walsh = sorted((logs[i] + logs[j]) / 2 for i in range(n) for j in range(i, n))
    estimate = math.exp(median(walsh))
    k = critical_rank(n, confidence)
    if k < 1:
        return estimate, None, None
    return estimate, math.exp(walsh[k - 1]), math.exp(walsh[len(walsh) - k])


def verdict(low, high, threshold):
    """'slower', 'faster', 'same' or 'unsure' for an interval of the ratio B/A.

    threshold is the smallest change that must be caught (0.05: 5%). 'slower' when the
    whole interval lies above 1 + threshold/2 (a change of at least half the threshold is
    certain), 'faster' below 1 - threshold/2; 'same' when it lies within 1 +- threshold (a
    change as large as the threshold is excluded); else 'unsure'. Judging at the threshold
    itself would catch a regression of exactly that size in at most half the runs."""
    if low is None or high is None:
        return "unsure"
    half = threshold / 2
    if low > 1 + half:
        return "slower"
    if high < 1 - half:
        return "faster"
    if low >= 1 - threshold and high <= 1 + threshold:
        return "same"
    return "unsure"
