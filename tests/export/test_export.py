"""``analog_deploy.onnx.export``: the file's structure, schemas, shapes and metadata."""

from __future__ import annotations

import json
import os

import onnx
import pytest
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.onnx import schemas
from analog_deploy.onnx.export import programmed_initializers, save_atomic
from tests.conftest import MODEL_INPUTS
from tests.helpers.onnx_runs import noise_free, run


@pytest.fixture
def analog_cnn(cnn):
    return ad.convert_to_analog(cnn, noise_free(max_input_size=40), seed=0).eval()


def test_only_analog_layers_become_custom_nodes(analog_cnn, tmp_path):
    path = adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx")
    model = onnx.load(path)
    custom = [node.op_type for node in model.graph.node if node.domain == adx.DOMAIN]
    assert sorted(custom) == sorted(["AnalogConv"] * 3 + ["AnalogMatMul"])
    assert {node.domain for node in model.graph.node} == {"", adx.DOMAIN}
    assert {(o.domain, o.version) for o in model.opset_import if o.domain == adx.DOMAIN} == {(adx.DOMAIN, adx.OPSET_VERSION)}


def test_checker_and_shape_inference_accept_the_model(analog_cnn, tmp_path):
    path = adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx")
    schemas.register()
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    shapes = {info.name: info for info in [*inferred.graph.value_info, *inferred.graph.output]}
    for node in inferred.graph.node:
        if node.domain == adx.DOMAIN:  # every analog node's output shape is known
            dims = shapes[node.output[0]].type.tensor_type.shape.dim
            assert dims[0].dim_param == "batch"
            assert all(dim.HasField("dim_value") for dim in dims[1:])
    output = inferred.graph.output[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in output] == ["batch", 10]


def test_metadata_carries_configs_version_time_and_seed(analog_cnn, tmp_path):
    path = adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx", t_inference=3600.0, seed=7)
    metadata = {prop.key: prop.value for prop in onnx.load(path).metadata_props}
    assert metadata["analog_deploy.version"] == ad.__version__
    assert metadata["analog_deploy.t_inference"] == "3600.0"
    assert metadata["analog_deploy.seed"] == "7"
    assert metadata["analog_deploy.domain"] == f"{adx.DOMAIN}:{adx.OPSET_VERSION}"
    configs = json.loads(metadata["analog_deploy.rpu_configs"])
    assert set(configs) == {name for name, _ in ad.analog_layers(analog_cnn)}
    for name, layer in ad.analog_layers(analog_cnn):
        assert ad.config_from_json(json.dumps(configs[name])) == layer.rpu_config


def test_unprogrammed_model_exports_its_target_weights(analog_cnn, tmp_path):
    path = adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx")
    metadata = {prop.key: prop.value for prop in onnx.load(path).metadata_props}
    assert metadata["analog_deploy.t_inference"] == "none"
    x = torch.randn(MODEL_INPUTS["cnn"])
    with torch.no_grad():
        assert run(adx.session(path), x) == pytest.approx(analog_cnn(x).numpy(), abs=1e-5)


def test_export_drifts_the_model_when_given_a_time(analog_cnn, tmp_path):
    adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx", t_inference=86400.0)
    assert {tile.t_inference for _, layer in ad.analog_layers(analog_cnn) for tile in layer.analog_tiles()} == {86400.0}


def test_export_restores_the_model(analog_cnn, tmp_path):
    before = [type(module) for module in analog_cnn.modules()]
    adx.export(analog_cnn, torch.randn(MODEL_INPUTS["cnn"]), tmp_path / "cnn.onnx")
    assert [type(module) for module in analog_cnn.modules()] == before


def test_batch_dimension_is_dynamic_unless_disabled(mlp, tmp_path):
    analog = ad.convert_to_analog(mlp, "pcm", seed=0).eval()
    path = adx.export(analog, torch.randn(4, 20), tmp_path / "fixed.onnx", dynamic_batch=False)
    assert [d.dim_value for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim] == [4, 20]
    path = adx.export(analog, torch.randn(4, 20), tmp_path / "dynamic.onnx")
    assert run(adx.session(path), torch.randn(13, 20)).shape == (13, 5)


def test_training_mode_is_refused(mlp, tmp_path):
    analog = ad.convert_to_analog(mlp, "pcm", seed=0).train()
    with pytest.raises(ad.ModuleError, match="model.eval"):
        adx.export(analog, torch.randn(4, 20), tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_a_failed_write_keeps_the_previous_file(mlp, tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save_atomic(onnx.ModelProto(), path)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["model.onnx"]  # no temporary file left behind


def test_written_file_has_the_usual_permissions(mlp, tmp_path):
    save_atomic(onnx.ModelProto(), tmp_path / "model.onnx")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "model.onnx").stat().st_mode & 0o777 == 0o666 & ~umask


def test_layers_without_an_export_form_are_named(tmp_path):
    class Custom(ad.AnalogLinear):
        pass

    model = nn.Sequential(Custom(4, 2)).eval()
    path = adx.export(model, torch.randn(2, 4), tmp_path / "sub.onnx")  # subclasses use their base's form
    assert [node.op_type for node in onnx.load(path).graph.node if node.domain == adx.DOMAIN] == ["AnalogMatMul"]


def test_programmed_initializers_name_every_layers_devices_and_allow_merged_constants(digits_model, tmp_path):
    analog = ad.convert_to_analog(digits_model, "pcm", seed=0).eval()
    model = onnx.load(adx.export(analog, torch.zeros(1, 1, 8, 8), tmp_path / "t.onnx", time_parametric=True))
    values = programmed_initializers(analog, model)
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    layers = [name for name, _ in ad.analog_layers(analog)]
    assert {f"model.{name}.g_plus" for name in layers} <= values.keys() <= initializers.keys()
    for name, tensor in values.items():  # as exported: the chip the file holds
        assert torch.equal(tensor, torch.from_numpy(onnx.numpy_helper.to_array(initializers[name]).copy())), name
    ad.program_analog_weights(analog, seed=1)  # another chip: other devices, the same (merged) scales
    assert not torch.equal(programmed_initializers(analog, model)["model.0.g_plus"], values["model.0.g_plus"])


def test_programmed_initializers_refuse_devices_merged_across_layers(digits_model, tmp_path):
    analog = ad.convert_to_analog(digits_model, "pcm", seed=0).eval()
    model = onnx.load(adx.export(analog, torch.zeros(1, 1, 8, 8), tmp_path / "t.onnx", time_parametric=True))
    nodes = [node for node in model.graph.node if node.domain == adx.DOMAIN]
    nodes[3].input[3] = nodes[2].input[3]  # as if the exporter had merged two layers' g_minus
    with pytest.raises(ValueError, match="shares initializer model.8.g_minus between layers"):
        programmed_initializers(analog, model)
