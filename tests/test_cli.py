"""The command line: help, demo, fit with every output format."""

import argparse
import gc
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.cli import build_parser, main
from monkeypower.cli_entry import COMMANDS, EXAMPLES
from monkeypower.cli_entry import main as entry_main
from monkeypower.cli_validation import cli_spelling

QUICK = ["--draws", "200", "--tune", "200", "--chains", "2", "--no-progress"]
# These tests exercise the command line's plumbing with deliberately short chains, whose honest
# low-ESS warnings are expected here; sampler health is tested in test_fit.py.
short_chains = pytest.mark.filterwarnings("ignore::monkeypower.fitting.diagnostics.SamplingWarning")


def test_help_shows_examples():
    proc = subprocess.run([sys.executable, "-m", "monkeypower.cli", "--help"],
                          capture_output=True, text=True, check=True)
    assert "monkeypower demo" in proc.stdout and "--group-by" in proc.stdout


def test_models_lists_priors(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "scaled_beta" in out and "alpha ~ LogNormal" in out


@short_chains
def test_demo_prints_posterior_next_to_truth(capsys):
    # the demo's mechanics; its default model (DEFAULT_MODEL) is fitted by the README's command
    assert main(["demo", "--problems", "64", "--attempts", "300", "--model", "beta",
                 *QUICK]) == 0
    out = capsys.readouterr().out
    assert "asymptotic_exponent b∞" in out and "truth 0.300" in out
    assert "95% ETI" in out


@short_chains
def test_fit_from_csv_with_groups_writes_every_format(tmp_path, capsys):
    a = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=60, n_attempts=200, seed=1,
                    labels={"model": "a"})
    b = mp.simulate("beta", {"alpha": 0.5, "beta": 3}, n_problems=60, n_attempts=200, seed=2,
                    labels={"model": "b"})
    table = pd.concat([a.to_dataframe(), b.to_dataframe()])
    table.to_csv(tmp_path / "counts.csv", index=False)
    code = main(["fit", str(tmp_path / "counts.csv"), "--problem", "problem", "--n", "n",
                 "--c", "c", "--group-by", "model", "--model", "beta", "--seed", "1",
                 "--format", "json", "--out", str(tmp_path / "out"), *QUICK])
    assert code == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["schema"] == "monkeypower.fit.v1"
    assert [g["group"] for g in data["groups"]] == [{"model": "a"}, {"model": "b"}]
    out = tmp_path / "out"
    written = {p.name for p in out.iterdir()}
    assert {"summary.md", "summary.tex", "summary.json", "summary.csv", "summary.txt",
            "a.nc", "b.nc", "report.md", "figures"} <= written
    assert mp.load_fit(out / "a.nc").outcomes.labels == {"model": "a"}
    assert json.loads((out / "summary.json").read_text()) == data
    for group in ("a", "b"):
        for kind in ("scaling", "exponents", "forecast", "population"):
            for suffix in ("png", "pdf"):
                assert (out / "figures" / group / f"{kind}.{suffix}").stat().st_size > 0
    report = (out / "report.md").read_text()
    assert "monkeypower fit " in report and "--group-by model" in report  # the command
    assert "95% equal-tailed credible interval" in report
    assert "## model = a" in report and "## model = b" in report
    assert "fitting 2 groups" in captured.err and "wrote " in captured.err


@short_chains
def test_demo_writes_a_report(tmp_path, capsys):
    code = main(["demo", "--problems", "40", "--attempts", "200", "--model", "beta", "--out",
                 str(tmp_path), *QUICK])
    assert code == 0
    report = (tmp_path / "report.md").read_text()
    assert "monkeypower demo --problems 40" in report
    assert "`asymptotic_exponent` = 0.3" in report  # the truth is stated
    assert (tmp_path / "figures" / "fit" / "exponents.pdf").stat().st_size > 0


def test_fit_reports_bad_columns_clearly(tmp_path, capsys):
    pd.DataFrame({"q": [1], "n": [3], "c": [1]}).to_csv(tmp_path / "x.csv", index=False)
    code = main(["fit", str(tmp_path / "x.csv"), "--problem", "problem", "--n", "n", "--c", "c",
                 "--seed", "1", *QUICK])
    assert code == 2
    assert "missing column 'problem' (for problem)" in capsys.readouterr().err


def test_backtest_command_writes_table_and_figure(tmp_path, capsys):
    out = mp.simulate("beta", {"alpha": 0.3, "beta": 3}, n_problems=100, n_attempts=500, seed=4,
                      labels={"model": "m"})
    out.to_dataframe().to_csv(tmp_path / "counts.csv", index=False)
    code = main(["backtest", str(tmp_path / "counts.csv"), "--problem", "problem", "--n", "n",
                 "--c", "c", "--group-by", "model", "--group", "m", "--estimators",
                 "least_squares", "beta_binomial_mle", "--attempts", "100", "300",
                 "--problems", "64", "--seeds", "2", "--truth", "0.3", "--out",
                 str(tmp_path / "bt")])
    assert code == 0
    assert "least_squares" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "bt" / "backtest.csv")
    assert len(table) == 2 * 2 * 2  # estimators x attempts x seeds
    assert (tmp_path / "bt" / "backtest.png").stat().st_size > 0


def test_backtest_command_asks_for_a_group(tmp_path, capsys):
    pd.DataFrame({"model": ["a", "b"], "problem": [1, 1], "n": [10, 10], "c": [1, 2]}).to_csv(
        tmp_path / "x.csv", index=False)
    code = main(["backtest", str(tmp_path / "x.csv"), "--problem", "problem", "--n", "n",
                 "--c", "c", "--group-by", "model"])
    assert code == 2 and "choose one with --group" in capsys.readouterr().err


# ------------------------------------------------------------------ issue 16/17: bad input
def _run(argv, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


@pytest.fixture
def counts_csv(tmp_path):
    path = tmp_path / "counts.csv"
    pd.DataFrame({"model": ["a", "a", "b", "b"], "problem": [1, 2, 1, 2], "n": [5] * 4,
                  "c": [0, 2, 1, 5]}).to_csv(path, index=False)
    return path


def _no_fit(*args, **kwargs):
    raise AssertionError("sampling started although an option was invalid")


@pytest.mark.parametrize("extra, message", [
    (["--interval", "1.5"], "--interval 1.5: expected a credible probability strictly"),
    (["--horizon", "-5"], "--horizon -5: expected a number of attempts"),
    (["--window", "0", "10"], "--window 0 10: expected 1 <= K1 < K2"),
    (["--target", "1.5"], "--target 1.5: expected a pass_D@k target"),
    (["--draws", "0"], "--draws 0: expected an integer >= 1"),
    # the command let 0 through and the sampler settings refused it with a traceback
    (["--tune", "0"], "--tune 0: expected an integer >= 1"),
    (["--workers", "0"], "--workers 0: expected an integer >= 1"),
    (["--cores", "0"], "--cores 0: expected an integer >= 1"),
    (["--cap", "5"], "--cap: only for --design sequential"),
    (["--group", "Pythia 12B"], "--group 'Pythia 12B': no such group; the file's groups "
                                "include a; b"),
    (["--group", "a", "b"], "expected 1 value(s), one per --group-by column"),
    (["--model", "nope"], "unknown model 'nope'"),
    (["--seed", "-1"], "--seed -1: expected an integer >= 0"),
    (["--seed", str(2**64)], f"--seed {2**64}: expected an integer below 2**64"),
])
def test_fit_options_are_checked_before_sampling(counts_csv, capsys, monkeypatch, extra,
                                                 message):
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    code, err = _run(["fit", str(counts_csv), "--problem", "problem", "--n", "n", "--c", "c",
                      "--group-by", "model", "--seed", "1", *extra], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_out_that_is_a_file_or_unwritable_is_refused_first(counts_csv, capsys, monkeypatch,
                                                          tmp_path):
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    base = ["fit", str(counts_csv), "--problem", "problem", "--n", "n", "--c", "c",
            "--group-by", "model", "--seed", "1", "--out"]
    (tmp_path / "afile").write_text("x")
    code, err = _run([*base, str(tmp_path / "afile")], capsys)
    assert code == 2 and "is a file" in err
    code, err = _run([*base, str(tmp_path / "afile" / "below")], capsys)
    assert code == 2 and "is a file, not a folder" in err
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "paper.tex").write_text("x")
    code, err = _run([*base, str(tmp_path / "theirs")], capsys)
    assert code == 2 and "holds files monkeypower did not write" in err


def test_backtest_and_compare_take_a_design(tmp_path, capsys, monkeypatch):
    seq = mp.simulate("beta", {"alpha": 0.5, "beta": 3}, n_problems=20, n_attempts=100, seed=1,
                      design=mp.Design("sequential", batch_size=10, cap=100))
    seq.to_dataframe().to_csv(tmp_path / "seq.csv", index=False)
    common = [str(tmp_path / "seq.csv"), "--problem", "problem", "--n", "n", "--c", "c",
              "--design", "sequential", "--batch-size", "10", "--cap", "100"]
    code, err = _run(["backtest", *common, "--estimators", "least_squares", "--attempts", "10",
                      "--problems", "10", "--seeds", "1"], capsys)
    assert code == 2 and "sequential design" in err
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    with pytest.raises(AssertionError, match="sampling started"):  # valid: reaches sampling
        main(["compare", *common, "--models", "beta", "scaled_beta", "--seed", "1"])
    # one model (or one named twice) is refused before any fit: it used to fit, then end in
    # compare's ValueError with a traceback
    code, err = _run(["compare", *common, "--models", "beta", "beta", "--seed", "1"], capsys)
    assert code == 2 and "--models beta beta: expected at least two different models" in err


def _data_options(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest for a in sub.choices[command]._actions} & {
        "file", "layout", "problem", "scorer", "metric", "n", "c", "success", "attempt",
        "outcomes", "group_by", "group", "design", "batch_size", "cap"}


def test_every_command_that_reads_data_reads_every_layout(tmp_path, capsys, monkeypatch):
    """backtest, compare and plan read only counts files (an attempt log, such as a best-of-N
    campaign's, had to be turned into counts by hand first); they now take fit's options."""
    assert all(_data_options(c) == _data_options("fit") for c in ("backtest", "compare", "plan"))
    assert len(_data_options("fit")) == 15
    rows = mp.simulate("beta", {"alpha": 0.5, "beta": 3}, n_problems=12, n_attempts=20,
                       seed=1).to_dataframe()
    log = pd.DataFrame([{"problem": r.problem, "attempt": j, "success": j < r.c}
                        for r in rows.itertuples() for j in range(r.n)])
    log.to_csv(tmp_path / "attempts.csv", index=False)
    data = [str(tmp_path / "attempts.csv"), "--layout", "attempts", "--problem", "problem",
            "--success", "success", "--attempt", "attempt"]
    code, err = _run(["backtest", *data, "--estimators", "least_squares", "--attempts", "10",
                      "--problems", "12", "--seeds", "1"], capsys)
    assert code == 0, err
    monkeypatch.setattr(mp, "fit", _no_fit)
    for command in (["compare", *data, "--models", "beta", "logit_normal", "--seed", "1"],
                    ["plan", *data, "--budget", "100", "--seed", "1"]):
        with pytest.raises(AssertionError, match="sampling started"):  # read, then sampling
            main(command)
    code, err = _run(["plan", *data[:5], "--budget", "100", "--seed", "1"], capsys)
    assert code == 2 and "--success required for --layout attempts" in err


def test_backtest_checks_its_grid_against_the_data_first(counts_csv, capsys, monkeypatch):
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    base = ["backtest", str(counts_csv), "--problem", "problem", "--n", "n", "--c", "c",
            "--group-by", "model", "--group", "a"]
    code, err = _run([*base, "--attempts", "50"], capsys)
    assert code == 2 and "attempts" in err and err.count("\n") == 1
    code, err = _run([*base, "--estimators", "nope"], capsys)
    assert code == 2 and "unknown estimator 'nope'" in err


def test_file_errors_name_the_file_and_line(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.jsonl").write_text('{"problem": 1, "n": 10, "c": 1}\n{"problem": 2,\n')
    (tmp_path / "mixed.jsonl").write_text('{"problem": 1, "n": 10, "c": 1}\n'
                                          '{"problem": "b", "n": 10, "c": 2}\n')
    pd.DataFrame({"problem": [1], "n": [3], "k": [1], "extra": [0]}).to_parquet(
        tmp_path / "t.parquet")
    base = ["--problem", "problem", "--n", "n", "--c", "c", "--seed", "1"]
    for name, message in [
        ("empty.csv", "empty.csv: the file is empty"),
        ("bad.jsonl", "bad.jsonl, line 2: not valid JSON"),
        ("mixed.jsonl", "mixed kinds of problem ids (1 integer, 1 string)"),
        ("t.parquet", "missing column 'c' (for c); the table has columns "
                      "['problem', 'n', 'k', 'extra']"),
    ]:
        code, err = _run(["fit", str(tmp_path / name), *base], capsys)
        assert code == 2 and message in err and err.count("\n") == 1, err


def test_cli_spelling_rewrites_argument_names_not_values():
    assert cli_spelling("e.g. problem=..., n=..., c=...") == "e.g. --problem ..., --n ..., --c ..."
    assert cli_spelling("pass group_by= if") == "pass --group-by if"
    assert cli_spelling("e.g. c=5, n=3") == "e.g. c=5, n=3"


def test_messages_use_the_options_the_user_typed(tmp_path, capsys):
    pd.DataFrame({"problem": [1, 1], "n": [3, 3], "c": [1, 2]}).to_csv(tmp_path / "d.csv",
                                                                       index=False)
    code, err = _run(["fit", str(tmp_path / "d.csv"), "--problem", "problem", "--n", "n",
                      "--c", "c", "--seed", "1"], capsys)
    assert code == 2 and "--group-by" in err and "group_by=" not in err


def _help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


def test_help_states_each_default_once(capsys):
    for command in ("fit", "backtest", "compare", "demo"):
        text = " ".join(_help(command, capsys).split())
        assert not re.search(r"\(default[^)]*\) \(default", text), command
        assert "(default: None)" not in text and "(default: False)" not in text
    fit_help = _help("fit", capsys)
    assert "--group VALUE" in fit_help and '--group "Pythia 12B"' in fit_help


def test_models_prints_the_reason_for_each_prior(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "why: Published exponents lie between about 0.05 and 1" in out


def test_groups_share_one_window(tmp_path, capsys, monkeypatch):
    table = pd.DataFrame({"m": ["a", "a", "b", "b"], "problem": [1, 2, 1, 2],
                          "n": [10, 10, 1000, 1000], "c": [1, 2, 3, 4]})
    table.to_csv(tmp_path / "t.csv", index=False)
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    with pytest.raises(AssertionError):
        main(["fit", str(tmp_path / "t.csv"), "--problem", "problem", "--n", "n", "--c", "c",
              "--group-by", "m", "--seed", "1"])
    assert "one window, k in [1, 1,000]" in capsys.readouterr().err


def test_fit_spreads_groups_where_asked(counts_csv, capsys, monkeypatch):
    asked = {}

    def record(data, model, **kwargs):
        asked.update(kwargs, groups=len(data))
        raise AssertionError("stop before sampling")

    monkeypatch.setattr(mp, "fit_many", record)
    monkeypatch.setattr(mp, "fit", _no_fit)
    base = ["fit", str(counts_csv), "--problem", "problem", "--n", "n", "--c", "c",
            "--group-by", "model", "--seed", "3", "--no-progress"]
    with pytest.raises(AssertionError, match="stop before sampling"):
        main([*base, "--workers", "2", "--cores", "1"])
    assert asked["groups"] == 2 and asked["n_workers"] == 2 and asked["scheduler"] is None
    assert asked["cores"] == 1 and asked["seed"] == 3 and asked["progressbar"] is False
    assert "on a local Dask cluster of 2 workers" in capsys.readouterr().err
    with pytest.raises(AssertionError, match="stop before sampling"):
        main([*base, "--scheduler", "tcp://10.0.0.5:8786"])
    assert asked["scheduler"] == "tcp://10.0.0.5:8786" and asked["n_workers"] is None
    with pytest.raises(SystemExit):
        main([*base, "--workers", "2", "--scheduler", "tcp://10.0.0.5:8786"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_top_level_help_imports_no_modelling_layer():
    """``monkeypower --help`` is answered by cli_entry alone: no PyMC, no data layer."""
    code = ("import sys\nfrom monkeypower.cli_entry import main\ntry:\n    main(['--help'])\n"
            "except SystemExit as stop:\n    assert stop.code == 0\n"
            "print(sorted(m for m in ('pymc', 'pytensor', 'scipy', 'monkeypower.cli', "
            "'monkeypower.data') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "fit a model to outcome data" in proc.stdout and "--workers 4" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_entry_tunes_the_collector_only_in_its_own_process(capsys):
    """Its own process (no ``argv``): imports frozen, collector on for the command, all frozen at
    the end. A caller passing ``argv`` keeps its collector as it was."""
    frozen, enabled = gc.get_freeze_count(), gc.isenabled()
    assert entry_main(["models"]) == 0
    assert (gc.get_freeze_count(), gc.isenabled()) == (frozen, enabled)
    capsys.readouterr()
    code = ("import gc, sys\nfrom monkeypower.cli_entry import main\nduring_imports = []\n"
            "gc.callbacks.append(lambda phase, info: phase == 'start' and during_imports.append("
            "getattr(sys.modules.get('monkeypower.cli'), 'main', None) is None))\n"
            "sys.argv = ['monkeypower', 'models']\nstatus = main()\n"
            "print(status, gc.isenabled(), any(during_imports), "
            "gc.get_freeze_count() > 100_000, len(gc.get_objects()) < 1000)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    # exit status 0, collector on, no collection while importing, imports and command frozen
    assert proc.stdout.strip().splitlines()[-1] == "0 True False True True"


def test_entry_lists_every_command_of_the_full_parser():
    full = build_parser()
    commands = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == list(COMMANDS)
    helps = {action.dest: action.help for action in commands._choices_actions}
    assert helps == COMMANDS


def test_entry_hands_commands_to_the_full_parser(capsys):
    assert entry_main(["models"]) == 0
    assert "scaled_beta" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        entry_main([])
    assert stop.value.code == 2 and "required: command" in capsys.readouterr().err


def test_a_file_of_one_group_needs_no_group_option():
    """An eval log of one model and one task is grouped by (model, task): one group, which the
    one-group commands asked the user to name with --group all the same."""
    from monkeypower.cli_validation import UsageError, pick_group

    table = pd.DataFrame({"problem": [0, 1, 2], "n": [5, 5, 5], "c": [1, 0, 2],
                          "model": ["m"] * 3})
    one = mp.read_outcomes(table, problem="problem", n="n", c="c", group_by="model")
    assert isinstance(pick_group(one, None, required=True), mp.Outcomes)
    two = mp.read_outcomes(table.assign(model=["m", "m", "k"]), problem="problem", n="n",
                           c="c", group_by="model")
    with pytest.raises(UsageError, match="holds 2 groups by model; choose one with --group"):
        pick_group(two, None, required=True)


def test_every_command_in_the_readme_and_docs_parses():
    """The command lines in the code blocks of the README and the docs (continuations joined,
    comments dropped) are valid calls."""
    import pathlib
    import shlex

    root = pathlib.Path(__file__).resolve().parents[1]
    pages = [root / "README.md", *sorted(root.glob("docs/**/*.md"))]
    text = "\n".join([*(block for path in pages for block in path.read_text().split("```")[1::2]),
                      EXAMPLES])  # and monkeypower --help's examples
    commands = []
    for line in text.replace("\\\n", " ").splitlines():
        for part in line.split("monkeypower ")[1:]:
            words = shlex.split(part.split("#")[0].split("&&")[0])
            if words and words[0] in COMMANDS and "..." not in words:  # not abbreviated
                commands.append(words)
    assert {c[0] for c in commands} >= {"fit", "compare", "plan", "models"}
    parser = build_parser()
    for command in commands:
        parser.parse_args(command)  # exits (SystemExit) on an invalid call


def test_counts_on_the_command_line_follow_the_one_rule(counts_csv, capsys, monkeypatch):
    """--budget 1e4 was "invalid int value" while --target forecast:1e5 was fine."""
    monkeypatch.setattr(mp, "fit", _no_fit)
    monkeypatch.setattr(mp, "fit_many", _no_fit)
    base = ["fit", str(counts_csv), "--problem", "problem", "--n", "n", "--c", "c",
            "--group-by", "model", "--seed", "1"]
    with pytest.raises(AssertionError, match="sampling started"):  # 2e3 draws: valid
        main([*base, "--draws", "2e3", "--chains", "4.0"])
    with pytest.raises(SystemExit):
        main([*base, "--draws", "1.5"])
    assert "argument --draws: expected a whole number, got '1.5'" in capsys.readouterr().err
    assert build_parser().parse_args([*base, "--window", "1", "1e4"]).window == [1, 10_000]
