"""Posteriors of the scaled-Beta model on the shared Pythia/MATH data beside the published MLEs
(Schaeffer, Kazdan et al., ICML 2025, arXiv:2502.17578).

Needs ../shared/data (third-party; never copied into this repository).
Run: python3 -m uv run python benchmarks/pythia_posteriors.py [--model scaled_beta]
"""

from __future__ import annotations

import argparse
import time

from _data import pythia_counts

import monkeypower as mp
from monkeypower.evaluation.baselines import beta_binomial_mle, least_squares


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="scaled_beta")
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    groups = pythia_counts()
    start = time.time()
    fits = mp.fit(groups, args.model, seed=2026, draws=args.draws, tune=args.draws,
                  progressbar=False)
    elapsed = time.time() - start
    convention = mp.get_interval()
    print(f"model {args.model}; 4 chains x {args.draws} draws; {len(groups)} groups fitted in "
          f"{elapsed:.0f} s (compiled once); medians with {convention.label}\n")
    print("| model | b∞ posterior (α) | scaled-BB MLE α | eff. exponent [1, 10⁴] posterior | "
          "LSQ b (effective) | s posterior | MLE s | divergences | max R-hat |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, one in fits.items():
        out = groups[key]
        b = one.asymptotic_exponent()
        eff = one.effective_exponent((1, 10_000))
        scale = one.posterior["scale"].values if "scale" in one.posterior else None
        mle = beta_binomial_mle(out)
        lsq = least_squares(out)

        def fmt(draws) -> str:
            lo, hi = draws.interval()
            return f"{float(draws.median()):.3f} [{float(lo):.3f}, {float(hi):.3f}]"

        import numpy as np

        s_text = "–" if scale is None else (
            f"{np.median(scale):.3f} [{np.quantile(scale, 0.025):.3f}, "
            f"{np.quantile(scale, 0.975):.3f}]")
        print(f"| {key[0]} | {fmt(b)} | {mle.estimate:.3f} | {fmt(eff)} | {lsq.estimate:.3f} | "
              f"{s_text} | {mle.extras['scale']:.3f} | {one.diagnostics.n_divergent} | "
              f"{one.diagnostics.max_rhat:.3f} |", flush=True)


if __name__ == "__main__":
    main()
