"""examples/deploy_onnxruntime.py: the digits CNN exported drifted to one day and
time-parametric; onnxruntime gives torch's accuracy within the read-to-read spread."""

from __future__ import annotations

import onnx
import pytest
from scipy import stats

READS = 6
REPETITIONS = 2


@pytest.fixture(scope="module")
def run(load_example, digits_args, tmp_path_factory):
    out = tmp_path_factory.mktemp("deploy_onnxruntime")
    results = load_example("deploy_onnxruntime").main(
        ["--out", str(out), "--reads", str(READS), "--repetitions", str(REPETITIONS), *digits_args])
    return results, out


def test_help_exits_cleanly(load_example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_example("deploy_onnxruntime").main(["--help"])
    assert exit_info.value.code == 0
    assert "--reads" in capsys.readouterr().out


def test_onnxruntime_accuracy_is_torch_accuracy_within_the_noise(run):
    results, _ = run
    torch_reads, onnx_reads = results["torch_reads"], results["onnx_reads"]
    assert len(torch_reads) == len(onnx_reads) == READS
    assert min(torch_reads) >= 90.0 and min(onnx_reads) >= 90.0
    # Welch's t-test: no evidence (p > 0.001) that the means differ; identical reads (no
    # prediction flipped by the noise) agree trivially.
    if torch_reads != onnx_reads:
        assert stats.ttest_ind(torch_reads, onnx_reads, equal_var=False).pvalue > 0.001, (torch_reads, onnx_reads)


def test_the_time_parametric_file_is_swept_in_onnxruntime(run):
    results, _ = run
    sweep = results["sweep"]
    assert sweep.settings["backend"] == "onnxruntime" and sweep.repetitions == REPETITIONS
    assert sweep.t_inference == [1.0, 3600.0, 86400.0, 30 * 86400.0, 365 * 86400.0]
    assert sweep.digital >= 95.0
    assert min(sweep.mean()) >= sweep.digital - 5.0  # the pcm preset compensates drift


def test_files_are_written(run):
    _, out = run
    assert sorted(path.name for path in out.iterdir()) == [
        "accuracy_vs_time.png", "digits_cnn_1day.onnx", "digits_cnn_time.onnx", "sweep_onnxruntime.csv",
        "sweep_onnxruntime.json"]
    fixed, timed = (onnx.load(out / name) for name in ("digits_cnn_1day.onnx", "digits_cnn_time.onnx"))
    assert {p.key: p.value for p in fixed.metadata_props}["analog_deploy.t_inference"] == repr(86400.0)
    assert {p.key: p.value for p in timed.metadata_props}["analog_deploy.t_inference"] == "input"
    assert [value.name for value in timed.graph.input] == ["x", "t_inference"]
