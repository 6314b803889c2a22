"""The backtest results page (docs/backtest.md): simulated truths, Pythia/MATH, fitted-family data.

Three parts, each cached (outside the repository) so they can run separately:

``sim``
    Beta truths a ∈ {0.15, 0.4} × b ∈ {3.5, 5}; a pool of 1,000 problems × 10,000 attempts per
    truth; subsamples of 128 problems × 100 … 10,000 attempts; 10 seeds.
``real``
    The shared Pythia/MATH data (all seven models, 128 problems × 10,000 attempts; needs
    ../shared/data); subsamples of all 128 problems × 100 … 4,642 attempts; 5 seeds.
``fitted``
    Data simulated from the scaled-Beta posterior median of each Pythia model (128 × 10,000),
    backtested like ``real``: the calibration check "on data simulated from the fitted family".
``paired``
    The paired comparison against least squares on Pythia/MATH: all seven models, 15 seeds,
    n' ∈ {100, 1,000}, the three baselines and the Beta model, cached per model (resumable);
    ``paired-page`` rewrites only its section of docs/backtest.md (between the
    ``<!-- paired:start -->`` and ``<!-- paired:end -->`` markers) and
    docs/figures/backtest_paired.png.

Run: ``python3 -m uv run python benchmarks/backtest_results.py sim real fitted`` then
``... backtest_results.py page`` writes docs/backtest.md and docs/figures/backtest_*.png.
Intervals are 90% equal-tailed (the goals of issue 4 are stated at 90%).
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _data import CACHE, load, pct, save

import monkeypower as mp

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
ATTEMPTS = (100, 215, 464, 1000, 2154, 4642, 10000)
BASELINES = ("least_squares", "discretized_beta", "beta_binomial_mle")
INTERVAL = 0.9
TRUTHS = [(a, b) for a in (0.15, 0.4) for b in (3.5, 5.0)]


def _tables(results: dict) -> pd.DataFrame:
    frames = []
    for key, result in results.items():
        table = result.table.copy()
        table.insert(0, "case", key)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def run_sim(seeds: int, bayes: list[str]) -> None:
    results = {}
    for a, b in TRUTHS:
        start = time.time()
        pool = mp.simulate("beta", {"alpha": a, "beta": b}, n_problems=1000, n_attempts=10_000,
                           seed=np.random.default_rng([2025, int(a * 100), int(b * 10)]))
        results[f"Beta({a:g}, {b:g})"] = mp.backtest(
            pool, estimators=[*BASELINES, *bayes], attempts=ATTEMPTS, problems=[128],
            seeds=range(seeds), truth=a, interval=INTERVAL, progress=True)
        print(f"Beta({a}, {b}): {time.time() - start:.0f} s", flush=True)
    save("backtest/sim", results)


def run_real(seeds: int, bayes: list[str]) -> None:
    from _data import pythia_counts

    groups = pythia_counts()
    results = {}
    for key, out in groups.items():
        start = time.time()
        results[key[0]] = mp.backtest(
            out, estimators=[*BASELINES, *bayes], attempts=ATTEMPTS[:-1], problems=None,
            seeds=range(seeds), interval=INTERVAL, progress=True)
        print(f"{key[0]}: {time.time() - start:.0f} s", flush=True)
    save("backtest/real", results)


METHOD = [
    '## Failures are counted, paired differences rank',
    "",
    'Two rules make the backtest a measuring instrument (`monkeypower.backtest`, since issue '
    '11):',
    "",
    '- **Failures are counted, never scored.** A baseline refuses a degenerate subsample with'
    ' `DegenerateDataError` (fewer than three problems with a success, an optimum on a bound '
    'of its search box, an optimiser that never left its start: before, with 1–4 of 128 '
    'problems solved, the Beta-Binomial MLE returned its bound α = 1,000 and the discretized '
    'Beta its start 0.5, both "converged"). A Bayesian fit that fails the sampler-health '
    'checks (divergences, R-hat > 1.01, bulk or tail ESS below 100 per chain) is refitted '
    'once with twice the draws and tuning steps and a target acceptance halfway to 1; if it '
    'still fails it is a failure (`UnhealthyFitError`). Each failure is a row with its '
    '`failure` kind (`degenerate`, `unhealthy`, `error`); the summary counts them per '
    'estimator and n′ (`n_degenerate`, `n_unhealthy`, `n_refitted`) and its notes list them. '
    'Sections of this page written before this rule scored unhealthy fits (in the earlier '
    'Pythia/MATH run, 39 of 42 scaled-Beta and 31 of 42 mixture fits failed the checks).',
    '- **Estimators are ranked by paired differences, not by medians of a few cases.** Every '
    'estimator meets the same subsamples, so `BacktestResult.paired()` compares each with '
    'least squares case by case: the log ratio of their squared log errors on the same '
    'subsample, its median over cases with a percentile-bootstrap interval (cases resampled),'
    ' and the share of cases won. Medians of 21 cases per cell could not rank estimators: '
    "adding two seeds moved least squares' median from 0.016 to 0.006 at n′ = 100 and "
    'reversed least squares vs the Beta-Binomial MLE at n′ = 1,000. '
    '`BacktestResult.plot_paired()` draws the table.',
    "",
]
"""The page's section on failure accounting and paired differences (issue 11)."""

PAIRED_ATTEMPTS = (100, 1000)
PAIRED_START, PAIRED_END = "<!-- paired:start -->", "<!-- paired:end -->"


def _paired_key(model: str, seeds: int) -> str:
    return f"backtest/paired/{model.replace(' ', '_')}_s{seeds}"


def run_paired(seeds: int) -> None:
    from _data import pythia_counts

    for key, out in pythia_counts().items():
        cache = _paired_key(key[0], seeds)
        if load(cache) is not None:
            print(f"{key[0]}: cached", flush=True)
            continue
        start = time.time()
        result = mp.backtest(out, estimators=[*BASELINES, "bayes:beta"],
                             attempts=PAIRED_ATTEMPTS, problems=None, seeds=range(seeds),
                             interval=INTERVAL, progress=False)
        save(cache, result)
        print(f"{key[0]}: {time.time() - start:.0f} s", flush=True)


CANDIDATE_ATTEMPTS = (100, 215, 464, 1000)
CANDIDATES_START, CANDIDATES_END = "<!-- candidates:start -->", "<!-- candidates:end -->"


def _versus_markers(first: str, second: str) -> tuple[str, str]:
    """Start and end markers of the head-to-head section of one pair of candidates."""
    pair = f"{first.removeprefix('bayes:')}+{second.removeprefix('bayes:')}"
    return f"<!-- versus {pair}:start -->", f"<!-- versus {pair}:end -->"
PACKAGE_DEFAULTS = {"draws": 1000, "tune": 1000, "chains": 4}
"""What a user's fit gets (fitting/settings.py), written out for the health gate's doubling."""


def _candidates_key(model: str, candidate: str, seeds: int, first: int = 0) -> str:
    """Cache of one run: seeds ``first .. seeds - 1`` (suffix ``_s{seeds}``, or
    ``_s{first}-{seeds}`` for a run that extends an earlier one)."""
    name = candidate.removeprefix("bayes:").replace(":", "-")
    name = Path(name).stem if name.endswith(".toml") else name  # a spec file: its name
    span = f"{seeds}" if first == 0 else f"{first}-{seeds}"
    return f"backtest/candidates/{model.replace(' ', '_')}_{name}_s{span}"


def _candidate_runs(model: str, candidate: str, seeds: int) -> list:
    """The cached runs that together hold seeds ``0 .. seeds - 1`` of a candidate: the run of
    exactly those seeds, else a run of the first ones plus the runs that extend it."""
    whole = load(_candidates_key(model, candidate, seeds))
    if whole is not None:
        return [whole]
    for first in range(seeds - 1, 0, -1):
        head, tail = load(_candidates_key(model, candidate, first)), load(
            _candidates_key(model, candidate, seeds, first))
        if head is not None and tail is not None:
            return [head, tail]
    return []


def run_candidates(seeds: int, bayes: list[str], first: int = 0,
                   shard: tuple[int, int] = (0, 1)) -> None:
    """Candidates for the default model against least squares on the issue's protocol.

    Pythia/MATH, all seven models, n' ∈ {100, 215, 464, 1,000}, all 128 problems; each
    Bayesian fit at the package's defaults (4 chains × 1,000 draws), health-gated; cached per
    (Pythia model, candidate), so candidates run with different numbers of seeds side by side.
    ``first > 0`` runs only seeds ``first .. seeds - 1``, extending a run of ``first`` seeds
    (the subsample of a seed does not depend on the other seeds; the fits' seeds do, so the
    extension's fits are seeded apart from the earlier ones).  ``shard = (i, n)``: this
    process takes every n-th Pythia model from the i-th, so n processes share the work (each
    model has its own cache file).
    """
    from _data import pythia_counts

    index, count = shard
    for candidate in bayes:
        for key, out in list(pythia_counts().items())[index::count]:
            cache = _candidates_key(key[0], candidate, seeds, first)
            if load(cache) is not None:
                print(f"{key[0]} {candidate}: cached", flush=True)
                continue
            start = time.time()
            result = mp.backtest(out, estimators=["least_squares", candidate],
                                 attempts=CANDIDATE_ATTEMPTS, problems=None,
                                 seeds=range(first, seeds), interval=INTERVAL,
                                 fit_kwargs=PACKAGE_DEFAULTS, progress=False)
            save(cache, result)
            print(f"{key[0]} {candidate}: {time.time() - start:.0f} s", flush=True)


def _candidate_tables(candidates: list[tuple[str, int]]) -> dict[str, pd.DataFrame]:
    """Per Pythia model, the rows of every cached ``(candidate, seeds)`` run in one table;
    least squares' rows, which every run repeats on the subsamples they share, kept once."""
    from _data import pythia_counts

    tables: dict[str, pd.DataFrame] = {}
    for key in pythia_counts():
        frames = [r.table for c, s in candidates for r in _candidate_runs(key[0], c, s)]
        if frames:
            table = pd.concat(frames, ignore_index=True)
            tables[key[0]] = table.drop_duplicates(
                ["estimator", "n_problems", "n_attempts", "seed"]).reset_index(drop=True)
    return tables


def write_candidates_section(candidates: list[tuple[str, int]]) -> None:
    """Rewrite the candidates' section of docs/backtest.md from the cached ``(candidate,
    seeds)`` runs."""
    results = _candidate_tables(candidates)
    if not results:
        raise SystemExit("part 'candidates' has not been run for these models")
    what = ", ".join(f"`{c}` ({s} seed{'s' if s != 1 else ''})" for c, s in candidates)
    seeds = max(s for _, s in candidates)
    lines = _paired_section(
        results, seeds, start=CANDIDATES_START, end=CANDIDATES_END,
        title="Candidates for the default model against least squares (Pythia/MATH)",
        fits=(f"least squares and {what} at the package's defaults (4 chains × 1,000 draws "
              "after 1,000 tuning steps, health-gated), n' ∈ {100, 215, 464, 1,000}"),
        figure="backtest_candidates.png", seeds_text="up to")
    extra = _coverage_and_direction(pd.concat(results.values(), ignore_index=True))
    _write_section(lines[:-1] + extra + ["", lines[-1]], CANDIDATES_START, CANDIDATES_END)


def _coverage_and_direction(table: pd.DataFrame) -> list[str]:
    """Markdown: predictive coverage and the direction of the errors of each Bayesian
    estimator of a stacked backtest table, per n'."""
    coverage = (table[table.estimator.str.startswith(("bayes:", "stack:")) & (table.error == "")]
                .groupby(["estimator", "n_attempts"])["covered"].agg(["mean", "size"]))
    extra = ["", "Coverage of the 90% predictive interval of the measured −log pass_D@10,000 "
             "(target 85–95%):", "", "| estimator | n' | covered | scored fits |",
             "|---|---|---|---|"]
    extra += [f"| {est} | {n:,} | {pct(row['mean'])} | {int(row['size'])} |"
              for (est, n), row in coverage.iterrows()]
    scored = table[table.error == ""].assign(
        log_ratio=lambda t: np.log(t.forecast / t.forecast_target))
    bias = scored.groupby(["estimator", "n_attempts"], sort=False)["log_ratio"].agg(
        median="median", below=lambda x: (x < 0).mean(), mean="mean", sd="std",
        rms=lambda x: float(np.sqrt((x ** 2).mean())), cases="size")
    extra += ["", "Direction and spread of the errors: median log(forecast / measured) of "
              "−log pass_D@10,000 (negative: the forecast expects more problems solved than "
              "were, optimistic), the share of optimistic forecasts, and the root mean square of "
              "the log ratio split into its mean (bias) and standard deviation over cases "
              "(spread; rms² = mean² + sd² up to the n − 1 of the sd):", "",
              "| estimator | n' | median log(forecast / measured) | optimistic | mean | sd | "
              "rms | cases |", "|---|---|---|---|---|---|---|---|"]
    extra += [f"| {est} | {n:,} | {row['median']:+.2f} | {pct(row['below'])} | "
              f"{row['mean']:+.2f} | {row['sd']:.2f} | {row['rms']:.2f} | {int(row['cases'])} |"
              for (est, n), row in bias.iterrows()]
    return extra


def _cached_candidate_rows(model: str, candidate: str, first: int, seeds: int) -> pd.DataFrame:
    """Every cached run of ``candidate`` on Pythia ``model`` (``_s{n}`` and ``_s{a}-{b}``), their
    rows of seeds ``first .. seeds - 1`` in one table (least squares' rows kept once)."""
    stem = Path(_candidates_key(model, candidate, 1)).name.removesuffix("_s1")
    runs = [load(f"backtest/candidates/{path.stem}")
            for path in sorted((CACHE / "backtest" / "candidates").glob(f"{stem}_s*.pkl"))
            if re.fullmatch(rf"{re.escape(stem)}_s(\d+-)?\d+", path.stem)]
    if not runs:
        return pd.DataFrame()
    table = pd.concat([r.table for r in runs], ignore_index=True)
    table = table[(table.seed >= first) & (table.seed < seeds)]
    return table.drop_duplicates(["estimator", "n_problems", "n_attempts", "seed"])


def _seed_span(seeds: pd.Series) -> str:
    """E.g. ``3–14`` (or a list where the seeds have gaps)."""
    values = sorted(int(s) for s in seeds.unique())
    if values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(map(str, values))


def write_versus_section(candidates: list[str], seeds: int, first: int) -> None:
    """docs/backtest.md's head-to-head section: the first candidate against the second, case by
    case, on the (Pythia model, seed) cases both ran, and each against least squares on every
    case it ran; cached runs of seeds ``first .. seeds - 1`` (``candidates --first-seed``)."""
    from _data import pythia_counts

    from monkeypower.evaluation.backtest import paired_comparison

    if len(candidates) != 2:
        raise SystemExit("candidates-versus takes two --bayes models")
    first_name, second = candidates
    frames = []
    for key in pythia_counts():
        rows = [_cached_candidate_rows(key[0], c, first, seeds) for c in candidates]
        if all(len(r) for r in rows):
            frames.append(pd.concat(rows, ignore_index=True)
                          .drop_duplicates(["estimator", "n_problems", "n_attempts", "seed"])
                          .assign(case=key[0]))
    if not frames:
        raise SystemExit("part 'candidates' has not been run for both models on these seeds")
    table = pd.concat(frames, ignore_index=True)
    cases = {c: set(map(tuple, table.loc[table.estimator == c, ["case", "seed"]].to_numpy()))
             for c in candidates}
    shared = cases[first_name] & cases[second]
    in_shared = [tuple(x) in shared for x in table[["case", "seed"]].to_numpy()]
    seeds_of = {c: _seed_span(table.loc[table.estimator == c, "seed"]) for c in candidates}
    start, end = _versus_markers(first_name, second)
    lines = [start, f"## Head to head: `{first_name}` against `{second}` "
             "(Pythia/MATH)", "",
             f"Both candidates on the same subsamples, {len(frames)} Pythia models × seeds "
             f"{_seed_span(table.loc[in_shared, 'seed'])} (new seeds, apart from the runs above); "
             f"each also against least squares on every seed it ran (`{first_name}` "
             f"seeds {seeds_of[first_name]}, `{second}` seeds {seeds_of[second]}). "
             "n' ∈ {100, 215, 464, 1,000}, package defaults, health-gated. Per case the log "
             "ratio of squared log errors of the forecast of −log pass_D@10,000; median, its 90% "
             "bootstrap interval over cases (2,000 resamples), share of cases won.", "",
             "| estimator | against | n' | cases | median log ratio | 90% bootstrap interval | "
             "wins | verdict |", "|---|---|---|---|---|---|---|---|"]
    for baseline, estimators, rows in (
            (second, [first_name], table[in_shared]),
            ("least_squares", [first_name, second], table)):
        paired = paired_comparison(rows, baseline=baseline, interval=INTERVAL,
                                   case_columns=("case", "seed"), seed=2026)
        for row in paired[paired.estimator.isin(estimators)].itertuples():
            verdict = ("worse" if row.lower > 0 else "better" if row.upper < 0
                       else "not distinguishable")
            lines.append(f"| {row.estimator} | {baseline} | {row.n_attempts:,} | {row.n_cases} "
                         f"| {row.median_log_ratio:+.2f} | [{row.lower:+.2f}, {row.upper:+.2f}] "
                         f"| {pct(row.wins)} | {verdict} |")
    refits = (table[table.estimator.isin(candidates)].groupby("estimator")["refitted"]
              .agg(lambda x: f"{int(x.fillna(False).astype(bool).sum())} of {len(x)}"))
    lines += ["", "Fits that needed the health gate's refit: "
              + "; ".join(f"{e} {v}" for e, v in refits.items())
              + f"; failed: {int((table.failure != '').sum())}."]
    lines += _coverage_and_direction(table)
    lines += _tracking_least_squares(table, candidates)
    _write_section([*lines, "", end], start, end)


def _tracking_least_squares(table: pd.DataFrame, candidates: list[str]) -> list[str]:
    """Markdown: how each candidate's log(forecast / measured) follows least squares' on the
    same case (Pythia model, seed, n'): the least-squares slope of the one on the other, their
    correlation, and the standard deviation of what the slope leaves (the candidate's own
    scatter)."""
    scored = table[table.error == ""].assign(
        log_ratio=lambda t: np.log(t.forecast / t.forecast_target))
    wide = scored.pivot_table(index=["case", "seed", "n_attempts"], columns="estimator",
                              values="log_ratio")
    lines = ["", "Where the spread comes from: on the same case both estimators see the same "
             "subsample, so their errors move together. Per n', the least-squares slope of each "
             "candidate's log(forecast / measured) on least squares' (1: it moves as least "
             "squares does), the correlation, and the standard deviation of the residual (the "
             "candidate's own scatter, beside least squares' sd above):", "",
             "| estimator | n' | slope on least squares | correlation | residual sd | cases |",
             "|---|---|---|---|---|---|"]
    for candidate in candidates:
        for n, block in wide.groupby(level="n_attempts"):
            pair = block[["least_squares", candidate]].dropna()
            if len(pair) < 3:
                continue
            x, y = pair["least_squares"].to_numpy(), pair[candidate].to_numpy()
            slope = float(np.cov(x, y)[0, 1] / np.var(x, ddof=1))
            residual = y - y.mean() - slope * (x - x.mean())
            lines.append(f"| {candidate} | {n:,} | {slope:.2f} | {np.corrcoef(x, y)[0, 1]:.2f} "
                         f"| {residual.std(ddof=2):.2f} | {len(pair)} |")
    return lines


def _write_section(lines: list[str], start: str, end: str) -> None:
    """Put ``lines`` (which begin with ``start`` and end with ``end``) into docs/backtest.md in
    place of the section between those markers, or at the end; the rest keeps its text."""
    section = "\n".join(lines)
    page = (DOCS / "backtest.md").read_text()
    if start in page:
        before, rest = page.split(start, 1)
        page = before + section + rest.split(end, 1)[1]
    else:
        page = page.rstrip("\n") + "\n\n" + section + "\n"
    (DOCS / "backtest.md").write_text(page)
    print(section)


def _paired_results(seeds: int) -> dict:
    from _data import pythia_counts

    names = [key[0] for key in pythia_counts()]
    found = {name: load(_paired_key(name, seeds)) for name in names}
    return {name: result for name, result in found.items() if result is not None}


def _paired_section(results: dict, seeds: int, *, start: str = PAIRED_START,
                    end: str = PAIRED_END,
                    title: str = "Paired comparison against least squares (Pythia/MATH)",
                    fits: str = ("the three baselines and the Beta model (`bayes:beta`, 2 "
                                 "chains × 500 draws after 500 tuning steps, health-gated)"),
                    figure: str = "backtest_paired.png", seeds_text: str = "") -> list[str]:
    from monkeypower.evaluation.backtest import paired_comparison, stack_tables
    from monkeypower.evaluation.backtest.figure import plot_paired

    table = stack_tables(results)
    paired = paired_comparison(table, interval=INTERVAL, case_columns=("case", "seed"),
                               seed=2026)
    lines = [start, f"## {title}", "",
             f"Models run: {len(results)} of 7 ({', '.join(results)}); "
             f"{seeds_text + ' ' if seeds_text else ''}{seeds} "
             f"seed{'s' if seeds != 1 else ''} each; "
             f"all 128 problems × n' attempts; {fits}. "
             "A case is one (model, seed) subsample; per case, the log ratio of the "
             "estimator's squared log error of the forecast of −log pass_D@10,000 to least "
             "squares' on the same subsample (negative: better than least squares). "
             "Median over cases, 90% percentile-bootstrap interval of that median (2,000 "
             "resamples of the cases), share of cases won; cases where either estimator "
             "failed are left out and counted (n unpaired).", "",
             "| estimator | n' | cases | median log ratio | 90% bootstrap interval | "
             "factor e^median | wins | n unpaired | vs least squares |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in paired.itertuples():
        verdict = ("worse" if row.lower > 0 else "better" if row.upper < 0
                   else "not distinguishable")
        lines.append(f"| {row.estimator} | {row.n_attempts:,} | {row.n_cases} | "
                     f"{row.median_log_ratio:+.2f} | [{row.lower:+.2f}, {row.upper:+.2f}] | "
                     f"{np.exp(row.median_log_ratio):.2g} | {pct(row.wins)} | "
                     f"{row.n_unpaired} | {verdict} |")
    lines += ["", "\"vs least squares\": worse or better when the 90% interval excludes 0, "
              "else not distinguishable with these cases."]
    failures = table[table.error != ""]
    lines += ["", "Failures (never scored), by estimator and n' (degenerate: the baseline "
              "refused the subsample; unhealthy: the fit failed the sampler-health checks "
              "before and after one refit with twice the draws):", "",
              "| estimator | n' | degenerate | unhealthy | other | fits refitted and kept |",
              "|---|---|---|---|---|---|"]
    for (estimator, n), group in table.groupby(["estimator", "n_attempts"], sort=False):
        kinds = group.failure.value_counts()
        refitted = int(group.refitted.fillna(False).astype(bool).sum())
        lines.append(f"| {estimator} | {n:,} | {kinds.get('degenerate', 0)} | "
                     f"{kinds.get('unhealthy', 0)} | {kinds.get('error', 0)} | "
                     f"{refitted if estimator.startswith(('bayes:', 'stack:')) else '–'} |")
    if len(failures):
        lines += ["", "The failures:", ""]
        for row in failures.itertuples():
            lines.append(f"- {row.case}, {row.estimator}, n' = {row.n_attempts:,}, seed "
                         f"{row.seed}: {row.error}")
    fig = plot_paired(paired, width="double")
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / figure, dpi=110)
    lines += ["", f"![paired comparison](figures/{figure})", "", end]
    return lines


def write_paired_section(seeds: int) -> None:
    """Rewrite only the paired section of docs/backtest.md (the other parts keep their text)."""
    results = _paired_results(seeds)
    if not results:
        raise SystemExit("part 'paired' has not been run")
    _write_section(_paired_section(results, seeds), PAIRED_START, PAIRED_END)


def run_fitted(seeds: int, model: str) -> None:
    from _data import pythia_counts

    groups = pythia_counts()
    fits = mp.fit(groups, model, seed=2026, draws=500, tune=500, chains=2, progressbar=False)
    results = {}
    for index, (key, out) in enumerate(groups.items()):
        one = fits[key]
        params = {k: float(np.median(v)) for k, v in one.params().items()}
        sim = mp.simulate(model, params, n_problems=out.n_problems, n_attempts=10_000,
                          seed=np.random.default_rng([2027, index]))
        truth = float(np.median(one.asymptotic_exponent().draws))
        results[key[0]] = mp.backtest(
            sim, estimators=[f"bayes:{model}"], attempts=(100, 464, 1000), problems=None,
            seeds=range(seeds), truth=truth, interval=INTERVAL, progress=True)
        print(f"{key[0]} ({params}): done", flush=True)
    save("backtest/fitted", results)


# ------------------------------------------------------------------------------ the page
def _num(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.3g}"


def _figure(results: dict, metric: str, path: Path, ncols: int) -> None:
    from matplotlib.figure import Figure

    names = list(results)
    nrows = int(np.ceil(len(names) / ncols))
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        results[name].plot(ax=ax, metric=metric)
        ax.set_title(name, fontsize="small")
        ax.legend(fontsize="x-small")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def _sim_section(results: dict) -> list[str]:
    table = _tables(results)
    lines = ["## Simulated Beta truths", "",
             "Pools of 1,000 problems × 10,000 attempts drawn from each Beta(a, b); subsamples "
             "of 128 problems × n' attempts; "
             f"{table.seed.nunique()} seeds per cell. Least squares estimates the *effective* "
             "slope over [1, n'], not b∞ (see [the two exponents](concepts.md)): it is scored "
             "against the truth and, "
             "separately, against the same slope on the full pool. The Bayesian rows are the "
             "Beta model (posterior median); its 90% equal-tailed intervals are checked for b∞ "
             "against the truth and, for the forecast, the posterior predictive of the "
             "measured −log pass_D@10,000 of the whole pool against its value.", ""]
    budgets = sorted(table.n_attempts.unique())
    head = "| truth | estimator | " + " | ".join(f"n' = {n:,}" for n in budgets) + " |"
    rule = "|---|---|" + "---|" * len(budgets)
    error = table.groupby(["case", "estimator", "n_attempts"], sort=False)
    vs_truth = error.relative_error_vs_truth.median()
    own = error.relative_error.median()
    lines += ["Median relative error of the exponent against the true b∞ = a:", "", head, rule]
    for case, estimator in dict.fromkeys(zip(table.case, table.estimator, strict=True)):
        lines.append(f"| {case} | {estimator} | "
                     + " | ".join(_num(vs_truth[(case, estimator, n)]) for n in budgets) + " |")
    lines += ["", "Least squares against its own estimand (the effective slope over [1, n'] "
              "of the full pool):", "", head, rule]
    for case in dict.fromkeys(table.case):
        lines.append(f"| {case} | least_squares | "
                     + " | ".join(_num(own[(case, "least_squares", n)]) for n in budgets)
                     + " |")
    bayes = table[table.estimator.str.startswith("bayes:")]
    lines += ["", "Coverage of the Bayesian 90% intervals (b∞ against the truth / posterior "
              "predictive of the measured forecast against the pool's value), over seeds:", "",
              head, rule]
    for (case, estimator), g in bayes.groupby(["case", "estimator"], sort=False):
        cells = []
        for n in budgets:
            cell = g[g.n_attempts == n]
            cells.append(f"{pct(cell.exponent_covered.astype(float).mean())} / "
                         f"{pct(cell.covered.astype(float).mean())}")
        lines.append(f"| {case} | {estimator} | " + " | ".join(cells) + " |")
    lines.append("")
    at1000 = table[(table.n_attempts == 1000)]
    by = at1000.groupby("estimator").relative_error_vs_truth.median()
    bayes_rows = table[table.estimator.str.startswith("bayes:")]
    cov_b = bayes_rows.exponent_covered.astype(float).mean()
    cov_f = bayes_rows.covered.astype(float).mean()
    lsq = at1000[at1000.estimator == "least_squares"]
    lines += [
        "**Headline (all four truths pooled, n' = 1,000).** Median relative error of b∞: "
        + ", ".join(f"{k} {_num(v)}" for k, v in by.items())
        + f". Least squares against its own estimand (the effective slope over [1, n']): "
        f"{_num(lsq.relative_error.median())}. The Bayesian 90% intervals covered the true b∞ "
        f"in {pct(cov_b)} and the measured forecast in {pct(cov_f)} of "
        f"{len(bayes_rows)} (truth, n', seed) cases.",
        "", "![relative error vs truth](figures/backtest_sim.png)", "",
    ]
    _figure(results, "relative_error_vs_truth", FIGURES / "backtest_sim.png", ncols=2)
    return lines


def _real_section(results: dict) -> list[str]:
    table = _tables(results)
    seeds = table.seed.nunique()
    lines = ["## Pythia/MATH (real data)", "",
             "The shared LLMonkeys Pythia/MATH counts (128 problems × 10,000 attempts per model, "
             f"seven models); subsamples of all 128 problems × n' attempts, {seeds} seeds. "
             "Score: squared log error of the forecast of −log pass_D@10,000 against the full "
             "data's value (median over models and seeds). Bayesian rows: the posterior median "
             "of the in-sample forecast; coverage of the 90% posterior predictive interval of "
             "the measured value (and, in brackets, of the credible interval of the expected "
             "curve, which ignores the noise of the attempts not yet made).", ""]
    estimators = list(dict.fromkeys(table.estimator))
    budgets = sorted(table.n_attempts.unique())
    lines.append("| estimator | " + " | ".join(f"n' = {n:,}" for n in budgets) + " |")
    lines.append("|---|" + "---|" * len(budgets))
    med = table.groupby(["estimator", "n_attempts"]).squared_log_error.median()
    for est in estimators:
        lines.append(f"| {est} | " + " | ".join(_num(med[(est, n)]) for n in budgets) + " |")
    lines.append("")
    best100 = min(med[(e, budgets[0])] for e in estimators)
    lines.append(f"Attempts each estimator needs to match the best median squared log error "
                 f"at n' = {budgets[0]} ({_num(best100)}):")
    lines.append("")
    for est in estimators:
        reached = [n for n in budgets if med[(est, n)] <= best100]
        lines.append(f"- {est}: " + (f"{reached[0]:,}" if reached else
                                     f"not reached by {budgets[-1]:,}"))
    lines.append("")
    bayes = table[table.estimator.str.startswith("bayes:")]
    low = bayes[bayes.n_attempts <= 1000]
    lines += ["Coverage of the 90% intervals, budgets 100 to 1,000 (predictive [expected curve]):",
              "", "| model | " + " | ".join(dict.fromkeys(low.estimator)) + " |",
              "|---|" + "---|" * low.estimator.nunique()]
    for case, g in low.groupby("case", sort=False):
        cells = []
        for est in dict.fromkeys(low.estimator):
            sub = g[g.estimator == est]
            cells.append(f"{pct(sub.covered.astype(float).mean())} "
                         f"[{pct(sub.covered_expected.astype(float).mean())}]")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    overall = []
    for est in dict.fromkeys(low.estimator):
        sub = low[low.estimator == est]
        overall.append(f"{pct(sub.covered.astype(float).mean())} "
                       f"[{pct(sub.covered_expected.astype(float).mean())}]")
    lines.append("| **all** | " + " | ".join(overall) + " |")
    lines += ["", "![squared log error, Pythia](figures/backtest_real.png)", ""]
    _figure(results, "squared_log_error", FIGURES / "backtest_real.png", ncols=4)
    return lines


def _fitted_section(results: dict) -> list[str]:
    table = _tables(results)
    lines = ["## Data simulated from the fitted family", "",
             "For each Pythia model, 128 problems × 10,000 attempts simulated from the "
             "posterior median of its scaled-Beta fit, then backtested with the scaled-Beta "
             f"model ({table.seed.nunique()} seeds, n' ∈ {{100, 464, 1,000}}): with the model "
             "right by construction, the 90% intervals should cover about 90% of the time.", "",
             "| n' | forecast coverage (predictive) | forecast coverage (expected curve) | "
             "b∞ coverage | cases |", "|---|---|---|---|---|"]
    for n, g in table.groupby("n_attempts"):
        lines.append(f"| {n:,} | {pct(g.covered.astype(float).mean())} | "
                     f"{pct(g.covered_expected.astype(float).mean())} | "
                     f"{pct(g.exponent_covered.astype(float).mean())} | {len(g)} |")
    lines.append(f"| all | {pct(table.covered.astype(float).mean())} | "
                 f"{pct(table.covered_expected.astype(float).mean())} | "
                 f"{pct(table.exponent_covered.astype(float).mean())} | {len(table)} |")
    lines.append("")
    return lines


KEPT_SECTIONS = re.compile(r"<!-- (candidates|versus [^ ]+|sequential):start -->")
"""Sections of docs/backtest.md written by their own commands (``candidates-page``,
``candidates-versus``, one per pair, sequential_forecast.py ``page``): a full ``page`` keeps
them."""


def _kept_sections(page: Path) -> list[str]:
    """The marked sections of ``page`` that a full rewrite keeps, markers included."""
    if not page.exists():
        return []
    content = page.read_text(encoding="utf-8")
    kept = []
    for match in KEPT_SECTIONS.finditer(content):
        start, end = match.group(0), f"<!-- {match.group(1)}:end -->"
        if end in content:
            body = content.split(start, 1)[1].split(end, 1)[0]
            kept += ["", f"{start}{body}{end}"]
    return kept


def write_page() -> None:
    lines = ["# Backtest results", "",
             "How well each estimator does on a fraction of the data, by the protocol of "
             "Schaeffer, Kazdan et al. (ICML 2025, arXiv:2502.17578) as implemented in "
             "`monkeypower.backtest`. Every number and figure on this page is written by "
             "`benchmarks/backtest_results.py` (the last section, a sequential campaign stopped "
             "early, by `benchmarks/sequential_forecast.py`); rerun them to refresh it. "
             "Bayesian fits: "
             "nutpie, 2 chains × 500 draws after 500 tuning steps; intervals 90% "
             "equal-tailed.", ""] + METHOD
    for part, section in (("sim", _sim_section), ("real", _real_section),
                          ("fitted", _fitted_section)):
        results = load("backtest/" + part)
        if results is None:
            lines += [f"*(part `{part}` has not been run)*", ""]
            continue
        lines += section(results)
    paired = _paired_results(15)
    if paired:
        lines += _paired_section(paired, 15)
    lines += _kept_sections(DOCS / "backtest.md")
    (DOCS / "backtest.md").write_text("\n".join(lines))
    print("\n".join(lines))


def _with_seeds(candidate: str, default: int) -> tuple[str, int]:
    """``"bayes:zero_inflated_beta@5"`` → ``("bayes:zero_inflated_beta", 5)``: the page shows
    each candidate from its own run."""
    name, _, seeds = candidate.partition("@")
    return name, int(seeds) if seeds else default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+",
                        choices=["sim", "real", "fitted", "paired", "page", "paired-page",
                                 "candidates", "candidates-page", "candidates-versus"])
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="candidates: run only seeds first-seed .. seeds - 1, extending a "
                             "cached run of first-seed seeds")
    parser.add_argument("--shard", type=int, nargs=2, default=(0, 1), metavar=("I", "N"),
                        help="candidates: take every N-th Pythia model from the I-th, so N "
                             "processes can share a run")
    parser.add_argument("--bayes", default="beta,scaled_beta",
                        help="comma-separated Bayesian models or stack:a+b (sim uses only the "
                             "first); "
                             "candidates-page takes model@seeds to show runs of different "
                             "lengths side by side")
    args = parser.parse_args()
    bayes = [m if m.startswith("stack:") else f"bayes:{m}" for m in args.bayes.split(",") if m]
    if "candidates" in args.parts and any("@" in b for b in bayes):
        parser.error("'model@seeds' is for candidates-page; candidates runs --seeds seeds")
    for part in args.parts:
        start = time.time()
        if part == "sim":
            run_sim(args.seeds or 10, bayes[:1])
        elif part == "real":
            run_real(args.seeds or 5, bayes)
        elif part == "fitted":
            run_fitted(args.seeds or 3, "scaled_beta")
        elif part == "paired":
            run_paired(args.seeds or 15)
        elif part == "paired-page":
            write_paired_section(args.seeds or 15)
        elif part == "candidates":
            run_candidates(args.seeds or 15, bayes, args.first_seed, tuple(args.shard))
        elif part == "candidates-versus":
            write_versus_section(bayes, args.seeds or 15, args.first_seed)
        elif part == "candidates-page":
            write_candidates_section([_with_seeds(b, args.seeds or 15) for b in bayes])
        else:
            write_page()
        print(f"[{part}] {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
