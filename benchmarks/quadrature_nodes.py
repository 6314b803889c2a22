"""Benchmark: accuracy of the quadrature families against mpmath as a function of the node count.

The quadrature families (kumaraswamy, scaled_kumaraswamy, generalized_beta, logit_normal)
evaluate L(c, f) = log E[p^c (1-p)^f] by Laplace-placed Gauss–Legendre quadrature with
``n_side`` nodes on each side of the mode (``Family.nodes_per_side``). For every family and
every ``n_side`` the table gives the worst error |L − L_ref| / max(1, |L_ref|) against the
mpmath oracles of ``tests/_mp_oracles.py`` over two sets of cases:

* **fits**: where fits live. ``--draws`` parameter points, each prior variable drawn at a
  quantile uniform on [0.01, 0.99] of its prior (``models/<name>.toml``, the central 98%), each
  with six (c, f) pairs with n log-uniform on [1, 10⁸]: two with c ~ Binomial(n, p) for a p
  drawn from the family itself, c = 0, c = n, c/n uniform and c/n = U³;
* **corners**: the corners of the prior's 0.1%–99.9% box with the counts of the contract test
  (``tests/test_family_contract.py``, n up to 10⁶), where each family states its ``accuracy``.

The mpmath references (about half a second each) are cached, so only the first run is slow; the
quadrature at each ``n_side`` is then evaluated in NumPy (nodes placed by the same numba kernel
as in PyTensor).

Run: ``python benchmarks/quadrature_nodes.py [--families kumaraswamy ...] [--draws 48]
[--n-sides 12 16 20 24 32 40 48 64 80] [--page]`` (``--page`` writes the table into
docs/benchmarks.md between the ``<!-- quadrature_nodes:start -->`` and
``<!-- quadrature_nodes:end -->`` markers).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from monkeypower.families import FAMILIES, Family
from monkeypower.seeding import child_seed, text_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _data import load, publish, save  # noqa: E402

from _mp_oracles import reference_log_moment  # noqa: E402
from test_family_contract import EDGE_COUNTS, _natural, corner_params  # noqa: E402

QUADRATURE = ("kumaraswamy", "scaled_kumaraswamy", "generalized_beta", "logit_normal")
N_SIDES = (12, 16, 20, 24, 32, 40, 48, 64, 80)
SEED = 20261130
MAX_LOG10_N = 8.0
CENTRAL = (0.01, 0.99)


def fit_cases(name: str, draws: int) -> list[tuple[float, float, dict[str, float]]]:
    """(c, f, natural parameters) where fits live: prior central 98%, n from 1 to 1e8."""
    fam = FAMILIES[name]
    rng = np.random.default_rng(child_seed(SEED, text_key(name)))
    cases = []
    for _ in range(draws):
        q = dict(zip(fam.prior_variables, rng.uniform(*CENTRAL, len(fam.prior_variables)),
                     strict=True))
        theta = _natural(name, q)
        n = np.floor(10.0 ** rng.uniform(0.0, MAX_LOG10_N, 6))
        p = fam.sample_p(theta, 2, rng)
        c = np.array([rng.binomial(int(n[0]), p[0]), rng.binomial(int(n[1]), p[1]), 0.0, n[3],
                      np.round(n[4] * rng.uniform()), np.floor(n[5] * rng.uniform() ** 3)])
        cases += [(float(ci), float(ni - ci), theta) for ci, ni in zip(c, n, strict=True)]
    return cases


def corner_cases(name: str) -> list[tuple[float, float, dict[str, float]]]:
    """(c, f, natural parameters) at the contract test's prior corners and counts."""
    return [(float(c), float(f), theta) for theta in corner_params(name) for c, f in EDGE_COUNTS]


def references(name: str, region: str, draws: int) -> pd.DataFrame:
    """The cases of one region with their mpmath reference values (cached, resumable)."""
    cases = fit_cases(name, draws) if region == "fits" else corner_cases(name)
    part = f"quadrature_nodes_{name}_{region}_{draws if region == 'fits' else 0}"
    done = load(part) or []
    for i in range(len(done), len(cases)):
        c, f, theta = cases[i]
        try:
            ref = reference_log_moment(name, c, f, theta)
        except AssertionError:  # the oracle could not bracket the integrand
            ref = float("nan")
        done.append(ref)
        if i % 20 == 19 or i == len(cases) - 1:
            save(part, done)
            print(f"{name} {region}: {i + 1}/{len(cases)} references", file=sys.stderr,
                  flush=True)
    table = pd.DataFrame([{"c": c, "f": f, **theta} for c, f, theta in cases])
    table["ref"] = done
    return table


def with_nodes(name: str, n_side: int) -> Family:
    """The registered family with ``n_side`` Gauss–Legendre nodes per side."""
    base = type(FAMILIES[name])
    return type(base.__name__, (base,), {"nodes_per_side": n_side})()


def errors(name: str, cases: pd.DataFrame, n_side: int) -> np.ndarray:
    """|L - L_ref| / max(1, |L_ref|) at ``n_side`` nodes per side (NaN where no reference)."""
    fam = with_nodes(name, n_side)
    params = {k: cases[k].to_numpy() for k in fam.params}
    got = fam.log_moment(cases["c"].to_numpy(), cases["f"].to_numpy(), params)
    ref = cases["ref"].to_numpy()
    return np.abs(got - ref) / np.maximum(1.0, np.abs(ref))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(QUADRATURE))
    parser.add_argument("--draws", type=int, default=48,
                        help="parameter points from the central 98%% of the prior (6 pairs each)")
    parser.add_argument("--n-sides", type=int, nargs="+", default=list(N_SIDES))
    parser.add_argument("--page", action="store_true",
                        help="write the table into docs/benchmarks.md between its markers")
    args = parser.parse_args()
    rows, worst = [], []
    n_sides = sorted({*args.n_sides, *(FAMILIES[n].nodes_per_side for n in args.families)})
    for name in args.families:
        fam = FAMILIES[name]
        for region in ("fits", "corners"):
            cases = references(name, region, args.draws)
            ok = np.isfinite(cases["ref"].to_numpy())
            row = {"family": name, "cases": f"{region} ({ok.sum()})",
                   "stated accuracy": fam.accuracy if region == "corners" else 1e-10}
            for n_side in n_sides:
                err = errors(name, cases[ok], n_side)
                row[f"{n_side}"] = float(err.max())
                if n_side == fam.nodes_per_side:
                    at = cases[ok].iloc[int(np.argmax(err))]
                    worst.append(f"{name}, {region}: {err.max():.1e} at " + ", ".join(
                        f"{k} = {at[k]:.4g}" for k in ("c", "f", *fam.params)))
            rows.append(row)
    table = pd.DataFrame(rows)
    columns = ["family", "cases", "stated accuracy",
               *sorted((c for c in table.columns if c.isdigit()), key=int)]
    shown = table[columns].rename(columns={c: f"n_side {c}" for c in columns if c.isdigit()})
    nodes = ", ".join(f"{n} {FAMILIES[n].nodes_per_side}" for n in args.families)
    text = (f"Worst |L − L_ref| / max(1, \\|L_ref\\|) against mpmath; *fits*: {args.draws} "
            f"parameter points × 6 pairs (prior central 98%, n from 1 to 10⁸), *corners*: the "
            f"contract test's prior corners × counts (n ≤ 10⁶); in parentheses the number of "
            f"cases with an mpmath reference. Nodes per side in use: {nodes}. The *stated "
            f"accuracy* of the fits row is the target (1e-10). Load average "
            f"{os.getloadavg()[0]:.1f}.\n\n"
            + shown.to_markdown(index=False, floatfmt=".1e").replace("nan", "–")
            + "\n\nWorst case at the nodes in use:\n\n" + "\n".join(f"- {w}" for w in worst))
    publish("quadrature_nodes", text, args.page)


if __name__ == "__main__":
    main()
