#!/usr/bin/python3
"""How fast can any drift detector find detector-compare's mean shifts?

A bench, not a test: it prints one JSON line per (D, ERT, shift) and takes
minutes. It answers the question behind the delays in docs/drift.md: how much
of mmd's delay can a better detector remove at the same false-alarm rate?

Every detector here is given what no drift detector has: the exact pre-change
law N(0, I) (an infinite reference). Most are given more:

  window W       ||S_t - S_{t-W}||^2 / W, the squared norm of the last W rows'
                 sum: mmd's window statistic with an infinite reference (its
                 delays reproduce detector-compare's mmd column, which checks
                 the model).
  invariant      knows the shift's size ||delta|| but not its direction: the
                 likelihood ratio of the last k rows averaged over all
                 directions of that size, maximised over k (a window-limited
                 mixture CUSUM); "invariant SR" sums it over k instead
                 (Shiryaev-Roberts, each grid point weighted by the change
                 points it stands for). Averaging over directions is optimal among
                 rotation-invariant detectors, and a Gaussian-kernel MMD on
                 isotropic data is one: its delay for delta is its delay for
                 any rotation of delta. So no RBF-kernel detector (mmd,
                 mmd-multi, Scan B, kernel CUSUM, NEWMA on RBF features) with
                 any reference size can beat this column by more than noise.
  sparse         knows the per-dimension shift mu and the number of shifted
                 dimensions s, not which ones nor their signs: per-dimension
                 likelihood ratios mixed with p = s/D, maximised over k (the
                 mixture procedure for sparse changes); a detector exploiting
                 sparsity, which an isotropic kernel cannot, with oracle
                 tuning.
  known delta    Page's CUSUM with the true delta: the optimum when the change
                 itself is known, for scale only.

With --reference-rows N every detector takes the pre-change mean from N rows
of a reference of its own run instead (the rest of the law stays known): the
error a finite reference adds, which mmd pays too.

Thresholds are set by simulation for a mean run length of ERT (bisection on the
mean of run lengths censored at 6 ERT); delays count drifted rows up to and
including the first alarm, after a prefix of null rows that fills every window.

  drift_delay_bound.py                      # the grid of docs/drift.md
  drift_delay_bound.py --dims 32 --erts 100 --runs 100   # a quick look
"""
import argparse
import json
import math
import sys

import numpy as np


def log_sphere_mgf(dim, a):
    """log E exp(a * u_1) for u uniform on the unit sphere of R^dim (dim >= 3).

    Equals lgamma(nu + 1) + nu log(2 / a) + log I_nu(a), nu = dim/2 - 1, with
    I_nu from its uniform (Debye) expansion to third order: within 1e-5
    of numerical integration for dim 16..128 (drift_delay_bound_test.py)."""
    nu = dim / 2 - 1
    a = np.maximum(np.asarray(a, dtype=float), 1e-12)
    z = a / nu
    sq = np.sqrt(1 + z * z)
    eta = sq + np.log(z / (1 + sq))
    t = 1 / sq
    u1 = (3 * t - 5 * t ** 3) / 24
    u2 = (81 * t ** 2 - 462 * t ** 4 + 385 * t ** 6) / 1152
    u3 = (30375 * t ** 3 - 369603 * t ** 5 + 765765 * t ** 7 - 425425 * t ** 9) / 414720
    log_i = (-0.5 * np.log(2 * np.pi * nu) + nu * eta - 0.5 * np.log(sq)
             + np.log1p(u1 / nu + u2 / nu ** 2 + u3 / nu ** 3))
    return math.lgamma(nu + 1) + nu * np.log(2 / a) + log_i


def change_point_grid(longest):
    """Window lengths 1..longest, dense where short (every length to 20,
    then about 8% apart): the maximum over them stands in for all k."""
    ks = set(range(1, min(20, longest) + 1))
    k = 20.0
    while k < longest:
        k *= 1.08
        ks.add(min(longest, int(round(k))))
    return sorted(ks)


def change_point_weights(grid):
    """How many change points each grid length stands for: the lengths from
    halfway to the previous one to halfway to the next (1 each where dense)."""
    edges = [grid[0] - 0.5] + [(a + b) / 2 for a, b in zip(grid, grid[1:])] + [grid[-1] + 0.5]
    return [hi - lo for lo, hi in zip(edges, edges[1:])]


class Shift:
    def __init__(self, dims, size, dim):
        if dims > dim:
            raise ValueError(f"{dims} shifted dimensions > D = {dim}")
        self.dims, self.size = dims, size
        self.delta = np.zeros(dim)
        self.delta[:dims] = size
        self.name = f"{size:g}sigma x{dims}"


def statistics(rows, shift, window, grid):
    """Every detector's statistic at every row: name -> [runs, T]."""
    runs, steps, dim = rows.shape
    sums = np.concatenate([np.zeros((runs, 1, dim)), np.cumsum(rows, axis=1)], axis=1)
    rho = math.sqrt(float(shift.delta @ shift.delta))
    mu, p = shift.size, shift.dims / dim
    out = {n: np.full((runs, steps), -np.inf)
           for n in ("window", "invariant", "invariant SR", "sparse")}
    for k, weight in zip(grid, change_point_weights(grid)):
        s = sums[:, k:, :] - sums[:, :-k, :]          # [runs, steps + 1 - k, dim]
        norm2 = np.einsum("rtd,rtd->rt", s, s)
        if k == window:
            out["window"][:, k - 1:] = norm2 / k
        inv = log_sphere_mgf(dim, rho * np.sqrt(norm2)) - k * rho * rho / 2
        x = np.abs(mu * s)
        log_lr = x + np.log1p(np.exp(-2 * x)) - math.log(2) - k * mu * mu / 2  # log cosh - k mu^2/2
        sparse = np.logaddexp(math.log1p(-p), math.log(p) + log_lr).sum(-1)
        np.maximum(out["invariant"][:, k - 1:], inv, out=out["invariant"][:, k - 1:])
        np.logaddexp(out["invariant SR"][:, k - 1:], inv + math.log(weight),
                     out=out["invariant SR"][:, k - 1:])
        np.maximum(out["sparse"][:, k - 1:], sparse, out=out["sparse"][:, k - 1:])
    increments = rows @ shift.delta - 0.5 * rho * rho
    cusum = np.zeros((runs, steps))
    level = np.zeros(runs)
    for t in range(steps):
        level = np.maximum(0.0, level + increments[:, t])
        cusum[:, t] = level
    out["known delta"] = cusum
    return out


def first_alarms(stat, start, threshold):
    """Rows after `start` up to and including the first stat > threshold;
    runs without one count the rows they had (censored)."""
    above = stat[:, start:] > threshold
    alarmed = above.any(axis=1)
    return np.where(alarmed, above.argmax(axis=1) + 1, above.shape[1]), alarmed


def threshold_for(stat, start, ert):
    finite = stat[:, start:][np.isfinite(stat[:, start:])]
    lo, hi = float(finite.min()), float(finite.max())
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lengths, _ = first_alarms(stat, start, mid)
        lo, hi = (mid, hi) if lengths.mean() < ert else (lo, mid)
    return hi


def batched_statistics(rng, batches, steps, dim, prefix, shift, drifted, window, grid,
                       reference_rows=0):
    parts = []
    for runs in batches:
        rows = rng.standard_normal((runs, prefix + steps, dim))
        if drifted:
            rows[:, prefix:, :] += shift.delta
        if reference_rows:
            # The detectors take the pre-change mean from N rows of their run's
            # own reference (the rest of the law stays known).
            reference = rng.standard_normal((runs, reference_rows, dim))
            rows -= reference.mean(axis=1)[:, None, :]
        parts.append(statistics(rows, shift, window, grid))
    return {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}


def one_setting(rng, dim, ert, shift, runs, window, longest, batch, reference_rows=0):
    grid = sorted(set(change_point_grid(longest)) | {window})
    prefix = max(grid)
    batches = [batch] * (runs // batch) + ([runs % batch] if runs % batch else [])
    null = batched_statistics(rng, batches, 6 * ert, dim, prefix, shift, False, window, grid,
                              reference_rows)
    drift = batched_statistics(rng, batches, min(6 * ert, 3000), dim, prefix, shift, True,
                               window, grid, reference_rows)
    result = {"dim": dim, "ert": ert, "shift": shift.name, "runs": runs, "window": window,
              "longest_window": longest, "reference_rows": reference_rows or None,
              "detectors": {}}
    for name in null:
        h = threshold_for(null[name], prefix, ert)
        run_lengths, alarmed = first_alarms(null[name], prefix, h)
        delays, detected = first_alarms(drift[name], prefix, h)
        result["detectors"][name] = {
            "run_length_mean": round(float(run_lengths.mean()), 1),
            "run_length_censored": int((~alarmed).sum()),
            "delay_mean": round(float(delays.mean()), 2),
            "delay_median": float(np.median(delays)),
            "delay_censored": int((~detected).sum()),
        }
    base = result["detectors"]["window"]["delay_mean"]
    for d in result["detectors"].values():
        d["delay_vs_window"] = round(d["delay_mean"] / base, 3)
    return result


def parse_list(text, kind):
    return [kind(v) for v in text.split(",") if v]


def parse_shift(text):
    size, dims = text.split("x")
    return float(size), int(dims)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dims", default="32,128", help="D values (default 32,128)")
    ap.add_argument("--erts", default="100,1000", help="ERT values (default 100,1000)")
    ap.add_argument("--shifts", default="0.25x8,0.5x8,2x1",
                    help="SIZExDIMS mean shifts in sigma (default 0.25x8,0.5x8,2x1)")
    ap.add_argument("--runs", type=int, default=200, help="runs per setting (default 200)")
    ap.add_argument("--window", type=int, default=20, help="the window column's W (default 20)")
    ap.add_argument("--longest", type=int, default=400,
                    help="longest change point the mixtures look back (default 400)")
    ap.add_argument("--batch", type=int, default=25, help="runs simulated at once (memory)")
    ap.add_argument("--reference-rows", type=int, default=0,
                    help="N: the detectors estimate the pre-change mean from N reference rows "
                         "of their own (default 0: they know it)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.runs < 1 or args.window < 1 or args.longest < args.window:
        ap.error("--runs and --window must be >= 1 and --longest >= --window")
    if args.reference_rows < 0:
        ap.error("--reference-rows must be >= 0")
    rng = np.random.default_rng(args.seed)
    for dim in parse_list(args.dims, int):
        if dim < 3:
            ap.error("--dims must be >= 3")
        for ert in parse_list(args.erts, int):
            for size, dims in map(parse_shift, parse_list(args.shifts, str)):
                shift = Shift(dims, size, dim)
                print(json.dumps(one_setting(rng, dim, ert, shift, args.runs, args.window,
                                             args.longest, args.batch, args.reference_rows)),
                      flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
