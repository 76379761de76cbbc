"""Running exported models in onnxruntime with our custom-op library registered."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import onnx
import onnxruntime as ort

from .. import kernels
from ..seeding import derive_seed
from .domain import DOMAIN, OPSET_VERSION


class OnnxModelError(RuntimeError):
    """An exported model that cannot be run here (with the reason and the fix)."""


def custom_ops_library() -> str:
    """Path of the C++ library with our onnxruntime ops (built and installed by ``pip install``)."""
    path = kernels.library_path()
    if path is None:
        raise OnnxModelError(
            f"the analog_deploy op library ({kernels.LIBRARY_NAME}) is not installed next to the package: "
            "install the package with pip (pip install .), which builds it"
        )
    return path


def openblas_library() -> str | None:
    """The OpenBLAS library that sessions created now run our ops' GEMMs with, or None if they
    use onnxruntime's MatMul kernel instead (docs/onnx_ops.md, "The GEMM").

    It is scipy-openblas32's (a dependency of this package), found beside the package; the
    environment variable ``ANALOG_DEPLOY_OPENBLAS`` names another copy of it, or is ``none`` for
    onnxruntime's MatMul. Raises ``OnnxModelError`` if that variable names an unusable library.
    """
    function = ctypes.CDLL(custom_ops_library()).ad_ops_openblas_path  # the copy onnxruntime loads too
    function.argtypes = [ctypes.c_char_p, ctypes.c_int64]
    function.restype = ctypes.c_char_p
    error = ctypes.create_string_buffer(1024)
    path = function(error, len(error))
    if path is None:
        raise OnnxModelError(error.value.decode())
    return path.decode() or None


def with_seed(model: onnx.ModelProto, seed: int) -> onnx.ModelProto:
    """``model`` with every analog node's seed derived from ``seed`` and the node's name (the
    rule of both ``export`` and ``session``; nodes need distinct names for independent noise)."""
    for node in model.graph.node:
        if node.domain == DOMAIN:
            for attribute in node.attribute:
                if attribute.name == "seed":
                    attribute.i = derive_seed(seed, node.name)
    return model


def _check_domain_version(model: onnx.ModelProto) -> None:
    """onnxruntime resolves an op of a newer domain version to our older op of the same name
    (ONNX's rule for unchanged ops), so a model of a newer analog_deploy is refused here."""
    versions = [entry.version for entry in model.opset_import if entry.domain == DOMAIN]
    if versions and versions[0] > OPSET_VERSION:
        raise OnnxModelError(
            f"the model uses {DOMAIN} version {versions[0]}, this analog_deploy implements version {OPSET_VERSION}: "
            "upgrade analog_deploy, or export the model again with this version"
        )


def session(
    path: str | os.PathLike[str] | bytes,
    *,
    seed: int | None = None,
    threads: int | None = None,
    options: ort.SessionOptions | None = None,
) -> ort.InferenceSession:
    """An onnxruntime session (CPU) of an exported model with our ops registered.

    Args:
        path: the ``.onnx`` file (or its bytes).
        seed: if given, replaces the noise seeds written at export (each node's from ``seed``
            and its name): sessions with the same seed, run on the same inputs in the same
            order, give identical outputs.
        threads: onnxruntime's intra-op threads (default: onnxruntime's choice).
        options: session options to start from (the library is registered on them).
    """
    options = options or ort.SessionOptions()
    options.register_custom_ops_library(custom_ops_library())
    if threads is not None:
        options.intra_op_num_threads = threads
    model: str | bytes = path if isinstance(path, bytes) else os.fspath(path)
    if isinstance(model, str) and not Path(model).is_file():
        raise FileNotFoundError(f"no ONNX model at {model}")
    proto = onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(model, load_external_data=False)
    _check_domain_version(proto)
    if seed is not None:
        model = with_seed(proto, seed).SerializeToString()
    try:
        return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        if f"{DOMAIN}:" in str(error) and "is not a registered function/op" in str(error):
            raise OnnxModelError(
                f"the model uses an op of domain {DOMAIN} that this analog_deploy's library does not provide "
                f"({error}); export the model again with this version of analog_deploy"
            ) from error
        raise
