"""SweepResult: its statistics (checked against scipy), its records (JSON round trip, CSV long
format, atomic writes), its tables and the plot."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy import stats

from analog_deploy.evaluation import SweepResult, compare_table, plot_sweep

VALUES = [[98.0, 97.5, 99.0, 98.5], [90.0, 85.0, 88.0, 91.0]]


def _result(**kwargs) -> SweepResult:
    return SweepResult(**{"t_inference": [1.0, 86400.0], "values": VALUES, "digital": 99.1, "samples": 540,
                          "label": "torch analog", **kwargs})


def test_statistics_are_mean_sample_std_and_student_t_interval():
    result = _result()
    for row, mean, std, (low, high) in zip(VALUES, result.mean(), result.std(), result.interval()):
        assert mean == pytest.approx(np.mean(row)) and std == pytest.approx(np.std(row, ddof=1))
        expected = stats.t.interval(0.95, len(row) - 1, loc=np.mean(row), scale=stats.sem(row))
        assert (low, high) == pytest.approx(expected)


def test_one_repetition_has_no_interval_and_json_writes_null(tmp_path):
    result = SweepResult(t_inference=[1.0], values=[[97.0]])
    assert result.std() == [0.0] and all(math.isnan(b) for b in result.interval()[0])
    data = json.loads(result.save_json(tmp_path / "r.json").read_text())
    assert data["statistics"][0]["ci_low"] is None


def test_json_round_trip_is_exact(tmp_path):
    result = _result(settings={"backend": "torch"}, seed=3, confidence=0.9)
    path = result.save_json(tmp_path / "sub" / "r.json")
    assert SweepResult.load_json(path) == result
    assert json.loads(path.read_text())["statistics"][1]["time"] == "1 day"


def test_json_of_another_format_version_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**_result().to_dict(), "format_version": 99}))
    with pytest.raises(ValueError, match="format version 1"):
        SweepResult.load_json(path)


def test_csv_has_one_line_per_time_and_repetition(tmp_path):
    rows = list(csv.DictReader(_result().save_csv(tmp_path / "r.csv").open()))
    assert len(rows) == 8
    assert rows[5] == {"label": "torch analog", "t_inference_s": "86400.0", "time": "1 day", "repetition": "1",
                       "value": "85.0", "metric": "top-1 accuracy (%)"}


def test_writes_leave_no_temporary_files(tmp_path):
    _result().save_json(tmp_path / "r.json")
    _result().save_csv(tmp_path / "r.csv")
    plot_sweep(_result(), tmp_path / "p.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "r.csv", "r.json"]


@pytest.mark.parametrize("kwargs, message", [
    ({"values": [[1.0]]}, "one row per t_inference"),
    ({"values": [[1.0, 2.0], [1.0]]}, "same number of repetitions"),
    ({"confidence": 1.0}, "confidence must be in"),
])
def test_inconsistent_results_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _result(**kwargs)


def test_table_lists_digital_and_every_time():
    table = _result().table()
    assert "digital" in table and "99.10" in table
    assert "1 s" in table and "1 day" in table and "95% CI" in table and "4 repetitions" in table


def test_compare_table_puts_sweeps_side_by_side():
    other = SweepResult(t_inference=[86400.0], values=[[80.0, 82.0]], label="onnxruntime analog")
    lines = compare_table([_result(), other]).splitlines()
    assert "torch analog" in lines[0] and "onnxruntime analog" in lines[0]
    assert lines[2].startswith("1 s") and "98.25 +- 0.65" in lines[2]
    assert lines[3].startswith("1 day") and "81.00 +- 1.41" in lines[3]


@pytest.mark.parametrize("sweeps", [1, 2])
def test_plot_is_a_png(tmp_path, sweeps):
    results = [_result(label=f"curve {i}") for i in range(sweeps)]
    path = plot_sweep(results, tmp_path / "plot.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_of_one_repetition_and_time_zero(tmp_path):
    result = SweepResult(t_inference=[0.0, 60.0], values=[[97.0], [96.0]])
    assert plot_sweep(result, tmp_path / "plot.png").is_file()


def test_plot_needs_a_result(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        plot_sweep([], tmp_path / "plot.png")
