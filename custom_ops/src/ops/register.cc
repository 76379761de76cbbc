// The library's only onnxruntime entry point: registers the ops of domain ai.analog_deploy.
#include <mutex>

#include "analog_conv.h"
#include "analog_matmul.h"
#include "ort.h"

namespace {

constexpr const char* kDomain = "ai.analog_deploy";  // analog_deploy/onnx/domain.py holds the same

// Sessions keep pointers to the domain and its ops: they live as long as the library.
struct Registry {
  analog_ops::AnalogMatMulOp matmul{"AnalogMatMul", 5, false};
  analog_ops::AnalogMatMulOp programmed_matmul{"ProgrammedAnalogMatMul", 10, true};
  analog_ops::AnalogConvOp conv{"AnalogConv", 5, false};
  analog_ops::AnalogConvOp programmed_conv{"ProgrammedAnalogConv", 10, true};
  Ort::CustomOpDomain domain{kDomain};

  Registry() {
    for (OrtCustomOp* op : {static_cast<OrtCustomOp*>(&matmul), static_cast<OrtCustomOp*>(&programmed_matmul),
                            static_cast<OrtCustomOp*>(&conv), static_cast<OrtCustomOp*>(&programmed_conv)}) {
      op->version = analog_ops::kOrtApiVersion;  // the oldest API whose op fields we fill: older runtimes accept it
      domain.Add(op);
    }
  }
};

}  // namespace

extern "C" ORT_EXPORT OrtStatus* ORT_API_CALL RegisterCustomOps(OrtSessionOptions* options, const OrtApiBase* api_base) {
  const OrtApi* api = api_base->GetApi(analog_ops::kOrtApiVersion);
  if (api == nullptr) {  // an onnxruntime older than 1.17: report with the first API version
    return api_base->GetApi(1)->CreateStatus(
        ORT_FAIL, "analog_deploy custom ops need onnxruntime >= 1.17 (C API version 17)");
  }
  Ort::InitApi(api);
  return analog_ops::guarded([&] {
    static Registry registry;
    Ort::UnownedSessionOptions(options).Add(registry.domain);
  });
}
