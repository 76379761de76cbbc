"""``analog_deploy.onnx.session`` and the op library inside onnxruntime: seeds, threads, and
clear errors for bad models and inputs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import numpy_helper
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx
from tests.helpers.onnx_runs import noise_free, run


@pytest.fixture
def mlp_file(mlp, tmp_path) -> Path:
    analog = ad.convert_to_analog(mlp, "pcm", seed=0).eval()
    return adx.export(analog, torch.randn(4, 20), tmp_path / "mlp.onnx", t_inference=86400.0)


@pytest.fixture
def conv_file(tmp_path) -> Path:
    torch.manual_seed(0)
    analog = ad.convert_to_analog(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1)), "pcm", seed=0).eval()
    return adx.export(analog, torch.randn(2, 3, 6, 6), tmp_path / "conv.onnx")


def _outputs(session: ort.InferenceSession, runs: int = 3) -> list[np.ndarray]:
    x = torch.randn(16, 20, generator=torch.Generator().manual_seed(0))
    return [run(session, x) for _ in range(runs)]


def test_same_seed_same_outputs_run_after_run(mlp_file):
    first, second = _outputs(adx.session(mlp_file, seed=1)), _outputs(adx.session(mlp_file, seed=1))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # every run draws fresh noise


def test_different_seeds_draw_different_noise(mlp_file):
    assert not np.array_equal(_outputs(adx.session(mlp_file, seed=1))[0], _outputs(adx.session(mlp_file, seed=2))[0])


def test_export_seed_is_used_without_a_session_seed(mlp_file):
    np.testing.assert_array_equal(_outputs(adx.session(mlp_file))[0], _outputs(adx.session(mlp_file))[0])


def test_session_seed_equal_to_the_export_seed_reproduces_the_file(mlp, tmp_path):
    analog = ad.convert_to_analog(mlp, "pcm", seed=0).eval()
    path = adx.export(analog, torch.randn(4, 20), tmp_path / "mlp.onnx", seed=5)
    np.testing.assert_array_equal(_outputs(adx.session(path))[0], _outputs(adx.session(path, seed=5))[0])


def test_a_model_of_another_domain_version_is_refused(mlp_file):
    model = onnx.load(mlp_file)
    next(o for o in model.opset_import if o.domain == adx.DOMAIN).version = adx.OPSET_VERSION + 1
    with pytest.raises(adx.OnnxModelError, match="export the model again"):
        adx.session(model.SerializeToString())


def test_eight_threads_on_one_session_give_the_sequential_outputs(mlp, tmp_path):
    analog = ad.convert_to_analog(mlp, noise_free(max_input_size=8), seed=0).eval()
    path = adx.export(analog, torch.randn(4, 20), tmp_path / "mlp.onnx", t_inference=3600.0)
    session = adx.session(path, threads=2)
    # 300 rows: the products run on OpenBLAS row blocks (with it installed), 8 runs calling it at once
    inputs = [torch.randn(300, 20, generator=torch.Generator().manual_seed(i)) for i in range(32)]
    expected = [run(session, x) for x in inputs]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            outputs = list(pool.map(lambda x: run(session, x), inputs))
            for out, ref in zip(outputs, expected):
                np.testing.assert_array_equal(out, ref)


def test_eight_threads_with_noise_give_valid_outputs(mlp_file):
    session = adx.session(mlp_file, threads=2)
    x = torch.randn(300, 20, generator=torch.Generator().manual_seed(0))
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda _: run(session, x), range(64)))
    assert all(np.isfinite(out).all() and out.shape == (300, 5) for out in outputs)
    assert len({out.tobytes() for out in outputs}) == len(outputs)  # no two runs shared a noise stream


def test_library_registers_our_domain():
    assert Path(adx.custom_ops_library()).is_file()
    options = ort.SessionOptions()
    options.register_custom_ops_library(adx.custom_ops_library())  # loads in a plain onnxruntime session


def test_plain_onnxruntime_without_the_library_names_the_op(mlp_file):
    with pytest.raises(Exception, match=f"{adx.DOMAIN}:AnalogMatMul"):
        ort.InferenceSession(str(mlp_file), providers=["CPUExecutionProvider"])


def test_an_op_the_library_lacks_gives_a_clear_error(mlp_file):
    model = onnx.load(mlp_file)
    next(node for node in model.graph.node if node.domain == adx.DOMAIN).op_type = "AnalogFuture"
    with pytest.raises(adx.OnnxModelError, match="export the model again"):
        adx.session(model.SerializeToString())


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ONNX model at"):
        adx.session(tmp_path / "absent.onnx")


# ------------------------------------------------------------------ malformed models and inputs


def _edited(path: Path, edit) -> bytes:  # noqa: ANN001
    """The model at ``path`` with its first analog node passed through ``edit``; input shapes
    are left open so that bad inputs reach the op."""
    model = onnx.load(path)
    for value in model.graph.input:
        value.type.tensor_type.ClearField("shape")
    del model.graph.value_info[:]
    edit(model, next(node for node in model.graph.node if node.domain == adx.DOMAIN))
    return model.SerializeToString()


def _set_attribute(name: str, value: object):  # noqa: ANN202
    def edit(model: onnx.ModelProto, node: onnx.NodeProto) -> None:
        kept = [a for a in node.attribute if a.name != name]
        del node.attribute[:]
        node.attribute.extend(kept)
        if value is not None:
            node.attribute.append(onnx.helper.make_attribute(name, value))

    return edit


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("inp_step", None, "missing float attribute 'inp_step'"),
        ("in_splits", None, "missing ints attribute 'in_splits'"),
        ("inp_step", -1.0, "'inp_step' is -1, expected a finite value > 0"),
        ("out_noise", float("nan"), "'out_noise' is nan"),
        ("noise_management", "max", "'noise_management' is 'max', expected one of 'abs_max', 'none'"),
        ("bound_management", "shift", "expected one of 'iterative', 'none'"),
        ("in_splits", [0, 12, 8, 20], "'in_splits' must be tile boundaries"),
        ("inp_quantize", 2, "'inp_quantize' is 2, expected 0 or 1"),
    ],
)
def test_bad_attributes_fail_at_session_creation(mlp_file, name, value, message):
    with pytest.raises(Exception, match="AnalogMatMul node .*" + message.replace("(", r"\(")):
        adx.session(_edited(mlp_file, _set_attribute(name, value)))


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("kernel_shape", [3, 3, 3, 3], "must have 1 to 3 dimensions"),
        ("pads", [1, 1], "strides and dilations need 2 values and pads 4"),
        ("group", 0, "group must be >= 1"),
        ("strides", [0, 1], "must be >= 1"),
    ],
)
def test_bad_conv_attributes_fail_at_session_creation(conv_file, name, value, message):
    with pytest.raises(Exception, match="AnalogConv node .*" + message):
        adx.session(_edited(conv_file, _set_attribute(name, value)))


def test_wrong_input_width_is_an_error_not_a_crash(mlp_file):
    session = adx.session(_edited(mlp_file, lambda model, node: None))
    with pytest.raises(Exception, match=r"input 'X' has shape \[3, 19\], expected \[\.\.\., 20\]"):
        session.run(None, {session.get_inputs()[0].name: np.zeros((3, 19), np.float32)})
    assert run(session, torch.zeros(3, 20)).shape == (3, 5)  # the session still works


def test_wrong_conv_input_rank_and_channels(conv_file):
    session = adx.session(_edited(conv_file, lambda model, node: None))
    name = session.get_inputs()[0].name
    with pytest.raises(Exception, match=r"input 'X' has shape \[2, 3, 6\], expected \[N, C, d1, d2\]"):
        session.run(None, {name: np.zeros((2, 3, 6), np.float32)})
    with pytest.raises(Exception, match="input 'X' has 5 channels, the node expects 3"):
        session.run(None, {name: np.zeros((2, 5, 6, 6), np.float32)})


def test_mismatched_weight_shape_is_an_error(mlp_file):
    def edit(model: onnx.ModelProto, node: onnx.NodeProto) -> None:
        weight = next(init for init in model.graph.initializer if init.name == node.input[1])
        weight.CopyFrom(numpy_helper.from_array(np.zeros((20, 31), np.float32), weight.name))

    session = adx.session(_edited(mlp_file, edit))
    with pytest.raises(Exception, match=r"input 'W' has shape \[20, 31\], expected \[20, 32\]"):
        run(session, torch.zeros(3, 20))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_inputs_are_an_error(mlp_file, conv_file, bad):
    for path, shape in ((mlp_file, (3, 20)), (conv_file, (2, 3, 6, 6))):
        session = adx.session(path)
        x = np.zeros(shape, np.float32)
        x.flat[5] = bad
        with pytest.raises(Exception, match="input 'X' contains NaN or infinite values"):
            session.run(None, {session.get_inputs()[0].name: x})
