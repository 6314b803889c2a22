"""The command line: help, demo, fit with every output format."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import monkeypower as mp
from monkeypower.cli import main

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
    assert main(["demo", "--problems", "64", "--attempts", "300", *QUICK]) == 0
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
    code = main(["demo", "--problems", "40", "--attempts", "200", "--out", str(tmp_path),
                 *QUICK])
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
