"""The ``monkeypower`` command line: every command's parser and what it runs.

The installed ``monkeypower`` command starts in :mod:`monkeypower.cli_entry`, which answers the
top-level ``--help`` without importing this module (and PyMC below it).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import monkeypower as mp
from monkeypower.cli_entry import COMMANDS, DESCRIPTION, EXAMPLES
from monkeypower.cli_options import (
    HelpFormatter,
    add_command,
    add_data_file_options,
    add_report_options,
    add_sampler_options,
    count,
)
from monkeypower.cli_validation import (
    UsageError,
    check_options,
    check_pool_options,
    cli_spelling,
    pick_group,
    shared_window,
)
from monkeypower.data.design import Design
from monkeypower.data.outcomes import Outcomes, OutcomesGroups
from monkeypower.errors import DesignError, OutcomesError, SpecError
from monkeypower.estimands import effective_exponent
from monkeypower.evaluation.backtest import DEFAULT_ESTIMATORS
from monkeypower.evaluation.backtest.plan import make_plan
from monkeypower.evaluation.comparison import VERDICT_MODELS, power_law_verdict
from monkeypower.evaluation.planning import ALLOCATIONS, parse_target
from monkeypower.fitting.persistence import SavedFitError
from monkeypower.fitting.spec import DEFAULT_MODEL, available_models, load_spec, resolve_model
from monkeypower.intervals import IntervalConvention, get_interval
from monkeypower.lazy_jax import jax_kept_unloaded
from monkeypower.output.atomic import OutputFolderError, atomic_folder, check_destination
from monkeypower.output.figures.forest import plot_group_exponents
from monkeypower.output.report import render_tables, write_report
from monkeypower.presentation.protocol import frame_to_latex, frame_to_markdown
from monkeypower.presentation.style import save_figure
from monkeypower.presentation.tables import summary_to_markdown
from monkeypower.seeding import child_seed

__all__ = ["main"]

def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="monkeypower",
        description=DESCRIPTION,
        epilog=EXAMPLES, formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = add_command(sub, "demo", COMMANDS["demo"])
    demo.add_argument("--seed", type=int, default=2026, help="seed of the simulation and fit")
    demo.add_argument("--problems", type=count, default=128, help="problems to simulate")
    demo.add_argument("--attempts", type=count, default=1000, help="attempts per problem")
    demo.add_argument("--alpha", type=float, default=0.3, help="true tail exponent")
    demo.add_argument("--beta", type=float, default=3.0, help="true Beta beta")
    demo.add_argument("--model", default=DEFAULT_MODEL,
                      help=f"model name or TOML path (default: {DEFAULT_MODEL}, the package's)")
    demo.add_argument("--out", type=Path, default=None,
                      help="folder for the report, tables, figures and posterior")
    add_sampler_options(demo)

    fit = add_command(sub, "fit", COMMANDS["fit"], EXAMPLES)
    add_data_file_options(fit, "fit (default: every group)")
    fit.add_argument("--model", default=DEFAULT_MODEL, help="model name or TOML path")
    fit.add_argument("--seed", type=int, required=True, help="seed of the sampler")
    fit.add_argument("--format", choices=("table", "json", "latex", "markdown"), default="table",
                     help="format of the summary printed")
    fit.add_argument("--out", type=Path,
                     help="folder for report.md, the summary (md, tex, csv, json, txt), figures "
                          "(PNG and PDF) and the posteriors (NetCDF); with --pool also the "
                          "group-level table (pooled.{md,tex,json}) and a forest of each "
                          "group's b∞ (figures/pooled_exponents, rows ordered by the first "
                          "covariate when given, else by the pooled median)")
    add_sampler_options(fit)
    cluster = fit.add_argument_group(
        "many groups", "spread the groups over processes or machines with Dask (same draws as "
        "one process: group i is sampled with a seed derived from --seed and i)")
    where = cluster.add_mutually_exclusive_group()
    where.add_argument("--workers", type=count, metavar="N",
                       help="fit the groups on a local Dask cluster of N worker processes (one "
                            "per core is usual)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="fit the groups on a running Dask cluster, e.g. tcp://host:8786")
    cluster.add_argument("--cores", type=count, metavar="N",
                         help="chains of one fit run in parallel (default: 1 per worker with "
                              "--workers/--scheduler, else min(chains, 2))")
    pooling = fit.add_argument_group(
        "pooling", "fit every group in one model that partially pools them "
        "(mp.fit_pooled), optionally with a trend in group covariates")
    pooling.add_argument("--pool", action="store_true",
                         help="one pooled model over the --group-by groups (at least two)")
    pooling.add_argument("--covariates", type=Path, metavar="FILE",
                         help="CSV or Parquet table of numeric group covariates, with the "
                              "--group-by column(s) it is keyed by (e.g. model, log10_params)")
    pooling.add_argument("--compare-independent", action="store_true",
                         help="also fit each group alone (same model; group i seeded from "
                              "--seed and i, as without --pool): print leave-one-problem-out "
                              "ELPD of pooled against alone per group and draw the fits alone "
                              "beside the pooled ones in figures/pooled_exponents (with --out)")
    add_report_options(fit)

    back = add_command(sub, "backtest", COMMANDS["backtest"])
    add_data_file_options(back, "backtest")
    back.add_argument("--estimators", nargs="+", default=list(DEFAULT_ESTIMATORS),
                      help="baselines and Bayesian models (bayes:<model>)")
    back.add_argument("--attempts", nargs="+", type=count, default=[100, 215, 464, 1000],
                      help="attempts per problem in the subsamples")
    back.add_argument("--problems", nargs="+", type=count, default=[128],
                      help="problems in the subsamples")
    back.add_argument("--seeds", type=count, default=3, help="number of seeds (0..N-1)")
    back.add_argument("--truth", type=float, help="known asymptotic exponent (simulated data)")
    back.add_argument("--interval", type=float, default=None,
                      help="probability of the Bayesian intervals (default: the convention)")
    back.add_argument("--draws", type=count, default=500,
                      help="draws (and tuning steps) per chain of Bayesian fits")
    back.add_argument("--out", type=Path, help="folder for the table (CSV) and figure (PNG, PDF)")

    comp = add_command(sub, "compare", COMMANDS["compare"])
    add_data_file_options(comp, "compare models on")
    comp.add_argument("--models", nargs="+", default=list(VERDICT_MODELS),
                      help="models to fit (include power-law and light-tailed families)")
    comp.add_argument("--seed", type=int, required=True, help="seed of the first fit")
    comp.add_argument("--method", default="stacking",
                      choices=("stacking", "BB-pseudo-BMA", "pseudo-BMA"),
                      help="how the models are weighted")
    comp.add_argument("--stacked", action="store_true",
                      help="also print the stacking-weighted exponents and forecasts")
    comp.add_argument("--out", type=Path,
                      help="folder for the table (md, tex, csv), verdict (JSON) and figure")
    add_sampler_options(comp)

    _add_plan_command(sub)
    add_command(sub, "models", COMMANDS["models"])
    return parser


def _fit_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"seed": args.seed, "sampler": args.sampler, "draws": args.draws, "tune": args.tune,
            "chains": args.chains, "target_accept": args.target_accept,
            "progressbar": not args.no_progress}


def _interval(args: argparse.Namespace):

    if args.interval is None and args.interval_kind is None:
        return None
    current = get_interval()
    return IntervalConvention(args.interval or current.prob, args.interval_kind or current.kind)


def _summary_kwargs(args: argparse.Namespace, window: tuple[int, int] | None) -> dict[str, Any]:
    return {"interval": _interval(args), "window": window, "horizons": args.horizon,
            "targets": tuple(args.target)}


def _design(args: argparse.Namespace) -> Design:
    if args.design == "sequential":
        return mp.Design("sequential", batch_size=args.batch_size, cap=args.cap)
    if args.design == "adaptive":
        if args.cap is not None:
            raise UsageError("--cap: only for --design sequential")
        return mp.Design("adaptive", batch_size=args.batch_size)
    return mp.Design("fixed")


def _check_before_work(args: argparse.Namespace) -> None:
    """Everything that can be checked before reading data or sampling: options, --out, models."""
    check_options(args)
    if getattr(args, "out", None) is not None:
        check_destination(args.out, "--out")
    for model in [getattr(args, "model", None), *(getattr(args, "models", None) or ())]:
        if model is not None:
            resolve_model(model)  # the spec, its family and priors on exactly its variables


def run_demo(args: argparse.Namespace) -> int:
    """Simulate → empirical curve → fit → exponent posterior beside the truth."""
    _check_before_work(args)
    truth = {"alpha": args.alpha, "beta": args.beta}
    out = mp.simulate("beta", truth, n_problems=args.problems, n_attempts=args.attempts,
                      seed=args.seed)
    print(f"Simulated {out!r}\n  from a Beta(alpha={args.alpha}, beta={args.beta}) population "
          f"(true asymptotic exponent b∞ = {args.alpha}).\n")
    curve = mp.empirical_curve(out)
    shown = curve.iloc[np.unique(np.linspace(0, len(curve) - 1, 8).astype(int))]
    print("Empirical -log pass_D@k (unbiased estimator):")
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nFitting model {args.model!r} (seed {args.seed}, sampler {args.sampler})...")
    result = mp.fit(out, args.model, **_fit_kwargs(args))
    exponent = result.asymptotic_exponent()
    lo, hi = exponent.interval()
    convention = mp.get_interval()
    effective = result.effective_exponent()
    e_lo, e_hi = effective.interval()

    family = mp.get_family("beta")
    true_eff = effective_exponent(
        family, {k: np.array([v]) for k, v in truth.items()}, result.default_window
    )[0]
    print(f"\nasymptotic_exponent b∞: median {float(exponent.median()):.3f}, "
          f"{convention.label} [{float(lo):.3f}, {float(hi):.3f}]   truth {args.alpha:.3f}")
    print(f"effective_exponent [{effective.detail}]: median {float(effective.median()):.3f}, "
          f"{convention.label} [{float(e_lo):.3f}, {float(e_hi):.3f}]   truth {true_eff:.3f}")
    print()
    horizons = [args.attempts, 10 * args.attempts, 1000 * args.attempts]
    print(result.to_markdown(horizons=horizons))
    if args.out:
        write_report(result, args.out, summary_kwargs={"horizons": horizons},
                     command=args.command_line, truth={"asymptotic_exponent": args.alpha})
    return 0


def _read_data(args: argparse.Namespace, one_group: bool = False) -> Outcomes | OutcomesGroups:
    """The data file, read with the columns of its layout, ``--group`` picked.

    A command that works on ``one_group`` needs ``--group`` when the file holds several.
    """
    if args.layout == "log":
        data = mp.read_log(args.file, scorer=args.scorer, metric=args.metric,
                           group_by=args.group_by or ("model", "task"))
        return pick_group(data, args.group, required=one_group)
    if not args.problem:
        raise UsageError(f"--problem required for --layout {args.layout}")
    columns: dict[str, Any] = {"problem": args.problem, "design": _design(args)}
    if args.group_by:
        columns["group_by"] = args.group_by
    required = {"counts": (("--n", args.n), ("--c", args.c)),
                "attempts": (("--success", args.success),),
                "llmonkeys": (("--outcomes", args.outcomes),)}[args.layout]
    missing = [option for option, value in required if not value]
    if missing:
        raise UsageError(f"{' and '.join(missing)} required for --layout {args.layout}")
    if args.layout == "counts":
        columns.update(n=args.n, c=args.c)
    elif args.layout == "attempts":
        columns.update(success=args.success, attempt=args.attempt)
    else:
        columns["outcomes"] = args.outcomes
    data = mp.read_outcomes(args.file, layout=args.layout, **columns)
    return pick_group(data, args.group, required=one_group)


def _read_covariates(path: Path | None) -> pd.DataFrame | None:
    """The ``--covariates`` table (CSV or Parquet), keyed later by its --group-by columns."""
    if path is None:
        return None
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def run_fit_pooled(args: argparse.Namespace, data: Outcomes | OutcomesGroups,
                   window: tuple[int, int] | None) -> int:
    """``fit --pool``: one pooled model over the groups; group-level table, then each group's."""
    if not isinstance(data, mp.OutcomesGroups) or len(data) < 2:
        raise UsageError("--pool: needs --group-by columns giving at least two groups (and no "
                         "--group picking one)")
    covariates = _read_covariates(args.covariates)
    print(f"monkeypower: fitting {len(data)} groups in one pooled model {args.model!r}"
          + (f" with covariates {list(covariates.columns)}" if covariates is not None else ""),
          file=sys.stderr, flush=True)
    pooled = mp.fit_pooled(data, args.model, covariates, cores=args.cores, **_fit_kwargs(args))
    independent, loo = None, None
    if args.compare_independent:
        print(f"monkeypower: fitting each of the {len(data)} groups alone too (group i seeded "
              "from --seed and i, as without --pool)", file=sys.stderr, flush=True)
        independent = mp.fit_many(data, args.model, cores=args.cores, **_fit_kwargs(args))
        loo = pooled.loo_against(independent)
    summary_kwargs = _summary_kwargs(args, window)
    group_level = pooled.summary(interval=summary_kwargs["interval"])
    fits = pooled.fits()
    rendered = render_tables(fits, summary_kwargs)
    if args.format == "json":
        shown = {"group_level": pooled.to_dict(), "groups": json.loads(rendered["json"])}
        if loo is not None:
            shown["loo_pooled_vs_independent"] = json.loads(loo.to_json(orient="records"))
        print(json.dumps(shown, indent=2))
    else:
        latex = args.format == "latex"
        head = frame_to_latex(group_level) if latex else frame_to_markdown(group_level)
        print(head + "\n" + rendered[args.format])
        if loo is not None:
            print(frame_to_latex(loo) if latex else frame_to_markdown(loo))
    if args.out:
        write_report(fits, args.out, summary_kwargs=summary_kwargs, tables=rendered,
                     command=args.command_line)
        (args.out / "pooled.md").write_text(frame_to_markdown(group_level))
        (args.out / "pooled.tex").write_text(frame_to_latex(group_level))
        (args.out / "pooled.json").write_text(json.dumps(pooled.to_dict(), indent=2))
        order_by = (pooled.structure.covariates.columns or [None])[0]
        save_figure(plot_group_exponents(pooled, independent, covariate=order_by,
                                         interval=summary_kwargs["interval"]),
                    args.out / "figures" / "pooled_exponents")
        written = "pooled.{md,tex,json}, figures/pooled_exponents.{png,pdf}"
        if loo is not None:
            (args.out / "pooled_loo.md").write_text(frame_to_markdown(loo))
            loo.to_csv(args.out / "pooled_loo.csv", index=False)
            written += ", pooled_loo.{md,csv}"
        print(f"wrote {args.out}/{written}", file=sys.stderr)
    return 0


def run_fit(args: argparse.Namespace) -> int:
    """Read a file, fit every group (or ``--group``), print a table, optionally write --out."""
    _check_before_work(args)
    check_pool_options(args)
    data = _read_data(args)
    window = shared_window(data, args.window)
    if args.pool:
        return run_fit_pooled(args, data, window)
    if isinstance(data, mp.OutcomesGroups):
        where = (f"on a local Dask cluster of {args.workers} workers" if args.workers else
                 f"on the Dask cluster at {args.scheduler}" if args.scheduler else
                 "in this process (compiled once; --workers N spreads them)")
        print(f"monkeypower: fitting {len(data)} groups with model {args.model!r} {where}",
              file=sys.stderr, flush=True)
        if args.window is None:
            print(f"monkeypower: effective exponents of every group over one window, k in "
                  f"[{window[0]:,}, {window[1]:,}] (1 to the largest n of any group), so they "
                  "can be compared; set another with --window K1 K2", file=sys.stderr,
                  flush=True)
        result = mp.fit_many(data, args.model, n_workers=args.workers, scheduler=args.scheduler,
                             cores=args.cores, **_fit_kwargs(args))
    else:
        if args.workers or args.scheduler:
            print("monkeypower: one dataset is fitted in this process (--workers and "
                  "--scheduler spread groups)", file=sys.stderr, flush=True)
        result = mp.fit(data, args.model, cores=args.cores, **_fit_kwargs(args))
    summary_kwargs = _summary_kwargs(args, window)
    rendered = render_tables(result, summary_kwargs)
    print(rendered[args.format])
    if args.out:
        write_report(result, args.out, summary_kwargs=summary_kwargs, tables=rendered,
                     command=args.command_line)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Fit each model, compare by leave-one-problem-out LOO, print the table and the verdict."""
    _check_before_work(args)
    data = _read_data(args, one_group=True)
    kwargs = _fit_kwargs(args)
    kwargs.pop("seed")
    fits = {}
    for index, model in enumerate(args.models):
        print(f"monkeypower compare: fitting {model} ({index + 1}/{len(args.models)})",
              file=sys.stderr, flush=True)
        fits[model] = mp.fit(data, model, seed=child_seed(args.seed, index), **kwargs)
    comparison = mp.compare(fits, method=args.method, stacked=args.stacked)
    verdict = power_law_verdict(comparison)
    print(verdict.to_markdown())
    if args.stacked:
        print()
        print(summary_to_markdown(comparison.stacked_table))
    if args.out:
        with atomic_folder(args.out, "--out") as out:
            (out / "comparison.md").write_text(verdict.to_markdown() + "\n")
            (out / "comparison.tex").write_text(comparison.to_latex() + "\n")
            comparison.table.to_csv(out / "comparison.csv")
            (out / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=2))
            save_figure(comparison.plot(), out / "compare")
        print(f"wrote {args.out}/comparison.{{md,tex,csv}}, verdict.json, compare.{{png,pdf}}",
              file=sys.stderr)
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    """Subsample, fit every estimator, score against the full data; print the summary."""
    _check_before_work(args)
    data = _read_data(args, one_group=True)
    options = {"estimators": args.estimators, "attempts": args.attempts,
               "problems": args.problems, "seeds": range(args.seeds), "truth": args.truth,
               "interval": args.interval,
               "fit_kwargs": {"draws": args.draws, "tune": args.draws, "chains": 2,
                              "progressbar": False}}
    try:  # the backtest's own checks against the data, before any fit
        make_plan(data, horizon=None, **options)
    except (ValueError, TypeError) as err:
        if isinstance(err, DesignError):
            raise
        raise UsageError(f"--estimators/--attempts/--problems/--seeds: {err}") from None
    result = mp.backtest(data, **options)
    print(result.to_markdown())
    if args.out:
        with atomic_folder(args.out, "--out") as out:
            result.table.to_csv(out / "backtest.csv", index=False)
            save_figure(result.plot(), out / "backtest")
        print(f"wrote {args.out}/backtest.{{csv,png,pdf}}", file=sys.stderr)
    return 0


def run_models(_: argparse.Namespace) -> int:
    """Print each built-in model's summary, and each prior with what it means and why."""
    for name in available_models():
        spec = load_spec(name)
        print(f"{name} (family {spec.family}): {spec.summary}")
        for variable, prior in spec.priors.items():
            print(f"    {variable} ~ {prior}" + (f": {prior.meaning}" if prior.meaning else ""))
            if prior.reason:
                print(textwrap.fill(" ".join(prior.reason.split()), width=96,
                                    initial_indent="        why: ",
                                    subsequent_indent="             "))
        reason = spec.sampler_defaults.get("reason")
        if reason:
            settings = ", ".join(f"{k} {v}" for k, v in spec.sampler_defaults.items()
                                 if k != "reason")
            print(textwrap.fill(" ".join(str(reason).split()), width=96,
                                initial_indent=f"    sampler ({settings}): ",
                                subsequent_indent="        "))
        print()
    return 0


# ---------------------------------------------------------------- plan (the adaptive planner)
def _add_plan_command(sub: Any) -> None:
    plan = add_command(sub, "plan", COMMANDS["plan"])
    add_data_file_options(plan, "plan for")
    plan.add_argument("--budget", type=count, required=True, help="attempts to spend this round")
    plan.add_argument("--target", dest="plan_target", default="asymptotic_exponent",
                      help="estimand to shrink: asymptotic_exponent, effective_exponent[:K1,K2] "
                           "or forecast_pass_at_k:K (a unique prefix works: forecast:1e5)")
    plan.add_argument("--allocation", choices=ALLOCATIONS, default="preposterior",
                      help="the planner (preposterior), or a simple rule to compare")
    plan.add_argument("--min-batch", type=count, default=10,
                      help="fewest attempts a problem gets in the round, if any")
    plan.add_argument("--unattempted", type=count, default=0,
                      help="problems of the benchmark not attempted yet (the plan may draw some)")
    plan.add_argument("--max-per-problem", type=count, help="most attempts at one problem")
    plan.add_argument("--model", default=DEFAULT_MODEL,
                      help=f"model name or TOML path (default: {DEFAULT_MODEL})")
    plan.add_argument("--seed", type=int, required=True, help="seed of the sampler and the plan")
    plan.add_argument("--out", type=Path, help="CSV file for the plan (one row per problem)")
    add_sampler_options(plan, draws=500)


def run_plan(args: argparse.Namespace) -> int:
    """Fit the counts, plan the next round, print it (problems that get attempts), write --out."""
    _check_before_work(args)
    try:
        parse_target(args.plan_target)
    except ValueError as err:
        raise UsageError(f"--target: {err}") from None
    if args.budget < args.min_batch or args.min_batch < 1 or args.unattempted < 0:
        raise UsageError("--budget must be at least --min-batch (>= 1); --unattempted >= 0")
    if args.out is not None and not args.out.parent.is_dir():
        raise UsageError(f"--out: folder {args.out.parent} does not exist")
    data = _read_data(args, one_group=True)
    print(f"monkeypower: fitting model {args.model!r} (seed {args.seed}), then planning",
          file=sys.stderr)
    fitted = mp.fit(data, args.model, **_fit_kwargs(args))
    try:
        result = mp.plan(fitted, args.budget, args.plan_target, min_batch=args.min_batch,
                         unattempted=args.unattempted, max_per_problem=args.max_per_problem,
                         allocation=args.allocation, seed=args.seed)
    except ValueError as err:
        raise UsageError(f"--budget/--max-per-problem: {err}") from None
    table = result.summary()
    shown = table[table["attempts"] > 0].reset_index(drop=True)
    shown.attrs = dict(table.attrs)
    print(frame_to_markdown(shown))
    if args.out:
        result.to_csv(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


HANDLED = (OutcomesError, SpecError, DesignError, UsageError, OutputFolderError, SavedFitError,
           FileNotFoundError, PermissionError, IsADirectoryError)
"""Errors about the user's input, options or files: one line on stderr and exit status 2.
Anything else is a bug in monkeypower and keeps its traceback."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``monkeypower`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = "monkeypower " + shlex.join(argv)
    handlers = {"demo": run_demo, "fit": run_fit, "backtest": run_backtest,
                "compare": run_compare, "models": run_models, "plan": run_plan}
    try:
        with jax_kept_unloaded():  # matplotlib and SciPy would import JAX to rule it out
            return handlers[args.command](args)
    except HANDLED as err:
        text = " ".join(str(err).split()) if not isinstance(err, OSError) or not err.filename \
            else f"{err.filename}: {err.strerror}"
        print(f"monkeypower {args.command}: error: {cli_spelling(text)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
