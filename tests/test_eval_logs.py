"""Readers for Inspect AI logs (made by really running inspect-ai) and lm-eval sample files."""

from __future__ import annotations

import gc
import json
import shutil
import warnings

import numpy as np
import pytest

import monkeypower as mp
from monkeypower.cli import main
from monkeypower.data.eval_logs import (
    inspect_attempts,
    lm_eval_counts,
    read_inspect_log,
    read_lm_eval_samples,
)
from monkeypower.errors import OutcomesError

pytest.importorskip("inspect_ai")

N_SAMPLES, EPOCHS = 5, 4


def _expected_c(model: str) -> np.ndarray:
    """Successes per sample the mock models below produce: 0..4 and 4..0."""
    i = np.arange(N_SAMPLES)
    return np.minimum(i, EPOCHS) if model == "mockllm/model" else np.maximum(EPOCHS - i, 0)


@pytest.fixture(scope="module")
def inspect_logs(tmp_path_factory):
    """One real `inspect_ai.eval` run: 3 tasks × 2 mock models, written as .eval logs."""
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, ModelUsage, get_model
    from inspect_ai.scorer import Score, accuracy, includes, match, scorer
    from inspect_ai.solver import generate

    def mock(kind):
        calls: dict[str, int] = {}

        def outputs(messages, tools, tool_choice, config):
            text = messages[-1].text
            if text == "flaky:boom":
                raise RuntimeError("the mock model fails on purpose")
            i = int(text.split(":")[1])
            k = calls.get(text, 0)
            calls[text] = k + 1
            good = k < i if kind == "model" else k < EPOCHS - i
            out = ModelOutput.from_content(model="mockllm", content="yes" if good else "no")
            # usage given, so mockllm does not count tokens with tiktoken (needs the network)
            out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
            return out

        return get_model(f"mockllm/{kind}", custom_outputs=outputs)

    @scorer(metrics=[accuracy()])
    def half_credit():
        async def score(state, target):
            return Score(value=0.5 if state.output.completion == "no" else 1.0)

        return score

    def dataset(name, ids=range(N_SAMPLES)):
        return [Sample(input=f"{name}:{i}", target="yes", id=f"p{i}") for i in ids]

    tasks = [
        Task(dataset=dataset("tiny"), solver=generate(), scorer=match(), epochs=EPOCHS,
             name="tiny"),
        Task(dataset=dataset("multi"), solver=generate(),
             scorer=[match(), includes(), half_credit()], epochs=EPOCHS, name="multi"),
        Task(dataset=dataset("flaky", [1, "boom"]), solver=generate(), scorer=match(),
             epochs=2, name="flaky"),
    ]
    root = tmp_path_factory.mktemp("inspect_logs")
    with warnings.catch_warnings():
        # inspect's anyio streams are garbage-collected unclosed (inspect-ai 0.3.285); collect
        # them here, under this narrow filter, so the warning cannot surface in a later test
        warnings.filterwarnings("ignore", message="Unclosed <MemoryObject",
                                category=ResourceWarning)
        # raised inside inspect's retry set-up (tenacity API change); an error here otherwise
        warnings.filterwarnings("ignore", message="The 'initial' parameter is deprecated",
                                category=DeprecationWarning)
        logs = eval(tasks, model=[mock("model"), mock("other")], log_dir=str(root),
                    display="none", fail_on_error=False, retry_on_error=0)
        gc.collect()
    assert len(logs) == 6
    by = {(log.eval.model, log.eval.task): log.location for log in logs}
    return root, by


def test_epochs_become_attempts(inspect_logs):
    root, by = inspect_logs
    out = read_inspect_log(by[("mockllm/model", "tiny")])
    assert isinstance(out, mp.OutcomesGroups)
    assert out.group_names == ("model", "task")
    one = out[("mockllm/model", "tiny")]
    order = np.argsort(one.problem)
    assert list(one.problem[order]) == [f"p{i}" for i in range(N_SAMPLES)]
    assert (one.n == EPOCHS).all()
    np.testing.assert_array_equal(one.c[order], _expected_c("mockllm/model"))
    assert one.design == mp.Design("fixed")


def test_several_logs_grouped_by_model_and_task(inspect_logs):
    _, by = inspect_logs
    paths = [by[(m, "tiny")] for m in ("mockllm/model", "mockllm/other")]
    out = read_inspect_log(paths)
    assert set(out) == {("mockllm/model", "tiny"), ("mockllm/other", "tiny")}
    for (model, _), one in out.items():
        order = np.argsort(one.problem)
        np.testing.assert_array_equal(one.c[order], _expected_c(model))


def test_pooling_models_without_grouping_is_refused(inspect_logs):
    _, by = inspect_logs
    paths = [by[(m, "tiny")] for m in ("mockllm/model", "mockllm/other")]
    with pytest.raises(OutcomesError, match=r"several values of 'model'.*add 'model' to group_by"):
        read_inspect_log(paths, group_by="task")
    single = read_inspect_log(by[("mockllm/model", "tiny")], group_by=None)
    assert isinstance(single, mp.Outcomes) and single.n.sum() == N_SAMPLES * EPOCHS


def test_named_scorer_chosen_among_several(inspect_logs):
    _, by = inspect_logs
    path = by[("mockllm/other", "multi")]
    with pytest.raises(OutcomesError, match=r"several scorers \['match', 'includes', "
                       r"'half_credit'\]; choose one with scorer="):
        read_inspect_log(path)
    out = read_inspect_log(path, scorer="includes")[("mockllm/other", "multi")]
    np.testing.assert_array_equal(out.c[np.argsort(out.problem)], _expected_c("mockllm/other"))


def test_missing_scorer_is_named(inspect_logs):
    _, by = inspect_logs
    with pytest.raises(OutcomesError, match=r"tiny.*no scorer 'exact' in this log; its scorers "
                       r"are \['match'\]"):
        read_inspect_log(by[("mockllm/model", "tiny")], scorer="exact")


def test_non_binary_scores_name_values_and_mapping(inspect_logs):
    _, by = inspect_logs
    path = by[("mockllm/model", "multi")]
    with pytest.raises(OutcomesError) as err:
        read_inspect_log(path, scorer="half_credit")
    message = str(err.value)
    assert str(path) in message and "'half_credit'" in message
    assert "0.5 (10×)" in message and "success=" in message
    out = read_inspect_log(path, scorer="half_credit", success=lambda v: v >= 1)
    one = out[("mockllm/model", "multi")]
    np.testing.assert_array_equal(one.c[np.argsort(one.problem)], _expected_c("mockllm/model"))
    with pytest.raises(OutcomesError, match=r"values listed in success= \(\[1.0\]\), found 0.5"):
        read_inspect_log(path, scorer="half_credit", success={1.0: True})
    with pytest.raises(OutcomesError, match=r"success= callable failed on the value 0.5 "
                       r"\(AttributeError"):
        read_inspect_log(path, scorer="half_credit", success=lambda v: v.upper() == "C")


def test_attempt_table_keeps_raw_scores(inspect_logs):
    _, by = inspect_logs
    table = inspect_attempts(by[("mockllm/model", "tiny")])
    assert len(table) == N_SAMPLES * EPOCHS
    assert set(table["score"]) == {"C", "I"}
    assert (table["success"] == (table["score"] == "C")).all()
    assert sorted(table["epoch"].unique()) == [1, 2, 3, 4]
    assert (table["scorer"] == "match").all()


def test_errored_epochs_raise_or_are_dropped(inspect_logs):
    _, by = inspect_logs
    path = by[("mockllm/model", "flaky")]
    with pytest.raises(OutcomesError, match=r"sample 'pboom' epoch \d ended in an error.*fails on "
                       r"purpose.*drop_errored=True"):
        read_inspect_log(path)
    # every epoch of 'pboom' errored: dropping them leaves a problem with zero epochs
    with pytest.raises(OutcomesError, match=r"samples \['pboom'\] of the dataset have zero epochs"):
        read_inspect_log(path, drop_errored=True)


def test_two_runs_of_one_task_clash_unless_combined(inspect_logs, tmp_path):
    _, by = inspect_logs
    original = by[("mockllm/model", "tiny")]
    copy = tmp_path / "rerun.eval"
    shutil.copy(original, copy)
    with pytest.raises(OutcomesError, match=r"appears in several logs.*rerun.eval.*combine_runs"):
        read_inspect_log([original, copy])
    pooled = read_inspect_log([original, copy], combine_runs=True)[("mockllm/model", "tiny")]
    assert (pooled.n == 2 * EPOCHS).all()
    np.testing.assert_array_equal(pooled.c[np.argsort(pooled.problem)],
                                  2 * _expected_c("mockllm/model"))
    apart = read_inspect_log([original, copy], group_by=("model", "task", "log"))
    assert len(apart) == 2


def test_folder_and_bad_paths(inspect_logs, tmp_path):
    root, _ = inspect_logs
    (root / "logs.json").write_text("{}")  # a manifest beside the logs is not a log
    # the folder holds all six logs; the flaky task's errored epochs stop it
    with pytest.raises(OutcomesError, match=r"_flaky_.*ended in an error"):
        read_inspect_log(root, scorer="match")
    both = read_inspect_log(str(root / "*tiny*.eval"))
    assert len(both) == 2
    with pytest.raises(OutcomesError, match="matches no file"):
        read_inspect_log(str(tmp_path / "*.eval"))
    with pytest.raises(OutcomesError, match="no Inspect log files in this folder"):
        read_inspect_log(tmp_path)
    bad = tmp_path / "broken.eval"
    bad.write_bytes(b"not a zip")
    with pytest.raises(OutcomesError, match=r"broken.eval: not a readable Inspect eval log"):
        read_inspect_log(bad)


# ----------------------------------------------------------------------------- lm-eval
def _lm_record(doc_id, responses, metric_value, *, filt="none", metric="pass@1", keep=True):
    return {
        "doc_id": doc_id,
        "doc": {"question": f"q{doc_id}"},
        "target": "yes",
        "arguments": {"gen_args_0": {"arg_0": f"q{doc_id}", "arg_1": {"temperature": 0.8}}},
        "resps": [responses],
        "filtered_resps": [responses if keep else responses[0]],
        "filter": filt,
        "metrics": [metric],
        "doc_hash": "x",
        "prompt_hash": "y",
        "target_hash": "z",
        metric: metric_value,
    }


def _write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.fixture
def lm_eval_dir(tmp_path):
    """Files laid out as `lm_eval --output_path out --log_samples` writes them (repeats: 5)."""
    c = {"org__model-a": [0, 2, 5], "org__model-b": [1, 1, 3]}
    for model, successes in c.items():
        records = [
            _lm_record(i, ["yes"] * k + ["no"] * (5 - k), k / 5) for i, k in enumerate(successes)
        ]
        _write_jsonl(tmp_path / "out" / model / "samples_mytask_2026-11-30T10-00-00.123456.jsonl",
                     records)
    return tmp_path / "out", c


def test_lm_eval_repeats_become_counts(lm_eval_dir):
    root, c = lm_eval_dir
    out = read_lm_eval_samples(root, metric="pass@1")
    assert set(out) == {("org__model-a", "mytask"), ("org__model-b", "mytask")}
    for (model, _), one in out.items():
        assert (one.n == 5).all()
        np.testing.assert_array_equal(one.c, c[model])
    table = lm_eval_counts(root)  # the only metric is found without naming it
    assert list(table.columns) == ["model", "task", "filter", "log", "problem", "n", "c"]


def test_lm_eval_per_response_lists(tmp_path):
    path = _write_jsonl(tmp_path / "m" / "samples_t_2026-01-01T00-00-00.jsonl", [
        _lm_record(0, ["a", "b", "c"], [1, 0, 1], metric="acc"),
        _lm_record(1, ["a", "b", "c"], [False, False, False], metric="acc"),
    ])
    one = read_lm_eval_samples(path, group_by=None)
    np.testing.assert_array_equal(one.n, [3, 3])
    np.testing.assert_array_equal(one.c, [2, 0])


def test_lm_eval_errors_name_file_and_line(tmp_path):
    folder = tmp_path / "m"
    path = _write_jsonl(folder / "samples_t_2026-01-01T00-00-00.jsonl", [
        _lm_record(0, ["a"] * 20, 0.35), _lm_record(1, ["a"] * 20, 0.437)])
    with pytest.raises(OutcomesError, match=r"line 2: metric 'pass@1' = 0.437 is not a multiple "
                       r"of 1/20"):
        read_lm_eval_samples(path)
    with pytest.raises(OutcomesError, match=r"line 1: no metric 'exact_match' in the record; its "
                       r"metrics are \['pass@1'\]"):
        read_lm_eval_samples(path, metric="exact_match")
    reduced = _write_jsonl(folder / "samples_u_2026-01-01T00-00-00.jsonl",
                           [_lm_record(0, ["a"] * 4, 1.0, keep=False, filt="take_first")])
    with pytest.raises(OutcomesError, match=r"filter 'take_first' kept 1 of the 4 repeated"):
        read_lm_eval_samples(reduced)
    two_filters = _write_jsonl(folder / "samples_v_2026-01-01T00-00-00.jsonl", [
        _lm_record(0, ["a"] * 2, 0.5, filt="strict"), _lm_record(0, ["a"] * 2, 1.0, filt="flex")])
    with pytest.raises(OutcomesError, match=r"several filters \['strict', 'flex'\]; choose one"):
        read_lm_eval_samples(two_filters)
    assert read_lm_eval_samples(two_filters, filter="flex", group_by=None).c.tolist() == [2]
    broken = folder / "samples_w_2026-01-01T00-00-00.jsonl"
    broken.write_text('{"doc_id": 0, "pass@1": 1}\n{"doc_id": 1,\n')
    with pytest.raises(OutcomesError, match=r"samples_w_.*line 2: not valid JSON"):
        read_lm_eval_samples(broken)


def test_lm_eval_all_binary_metric_with_repeats_warns(tmp_path):
    path = _write_jsonl(tmp_path / "m" / "samples_t_2026-01-01T00-00-00.jsonl",
                        [_lm_record(i, ["a"] * 3, float(i % 2)) for i in range(10)])
    with pytest.warns(UserWarning, match="one verdict per document"):
        lm_eval_counts(path)


# --------------------------------------------------------------------------- read_log (either)
def test_read_log_decides_the_framework_from_the_file(inspect_logs, lm_eval_dir, tmp_path):
    from monkeypower.data.eval_logs import log_kind, read_log

    _, by = inspect_logs
    path = by[("mockllm/model", "tiny")]
    assert log_kind(path) == "inspect"
    out = read_log(path)
    assert out == read_inspect_log(path)
    root, c = lm_eval_dir
    sample = next(root.rglob("samples_*.jsonl"))
    assert log_kind(sample) == "lm-eval" and log_kind(root) == "lm-eval"
    lm = read_log(root, metric="pass@1")
    np.testing.assert_array_equal(lm[("org__model-a", "mytask")].c, c["org__model-a"])
    as_json = tmp_path / "log.json"  # an Inspect log in its JSON format
    as_json.write_text(json.dumps({"version": 2, "status": "success", "eval": {}}))
    assert log_kind(as_json) == "inspect"
    with pytest.raises(OutcomesError, match=r"metric= do not apply to inspect logs"):
        read_log(path, metric="pass@1")
    with pytest.raises(OutcomesError, match=r"scorer= do not apply to lm-eval logs"):
        read_log(root, scorer="match")
    other = tmp_path / "table.csv"
    other.write_text("problem,n,c\n1,2,1\n")
    with pytest.raises(OutcomesError, match=r"table.csv: not an evaluation log.*pass log="):
        read_log(other)
    with pytest.raises(OutcomesError, match="no such file"):
        read_log(tmp_path / "missing.eval.json")


def test_cli_fits_an_inspect_log(inspect_logs, capsys):
    _, by = inspect_logs
    log = by[("mockllm/model", "tiny")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 1 x 60 draws: the sampler checks warn, as they should
        rc = main(["fit", str(log), "--layout", "log", "--model", "beta", "--seed", "1",
                   "--draws", "60", "--tune", "60", "--chains", "1", "--no-progress",
                   "--format", "json"])
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    assert [g["group"] for g in printed["groups"]] == [{"model": "mockllm/model",
                                                        "task": "tiny"}]


def test_cli_needs_problem_column_except_for_logs(tmp_path, capsys):
    counts = tmp_path / "counts.csv"
    counts.write_text("p,n,c\n1,10,2\n")
    assert main(["fit", str(counts), "--n", "n", "--c", "c", "--seed", "1"]) == 2
    assert "--problem required for --layout counts" in capsys.readouterr().err
