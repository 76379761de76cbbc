"""The ONNX op domain of analog-deploy and its version (docs/onnx_ops.md). The exporter, the
session helper and the tests import these; the C++ library registers the same domain."""

DOMAIN = "ai.analog_deploy"
OPSET_VERSION = 1
