"""Export analog models to ONNX with our custom-op domain, and run them in onnxruntime
(docs/onnx_ops.md)."""

from .domain import DOMAIN, OPSET_VERSION
from .export import export
from .runtime import OnnxModelError, custom_ops_library, openblas_library, session

__all__ = ["DOMAIN", "OPSET_VERSION", "OnnxModelError", "custom_ops_library", "export", "openblas_library", "session"]
