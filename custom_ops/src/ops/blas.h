// The GEMM of the ops: OpenBLAS from the scipy-openblas32 wheel (a registry package the Python
// package depends on), found at run time; onnxruntime's own MatMul kernel where it is absent.
// On the x86-64 dev machine OpenBLAS's sgemm is faster than onnxruntime's MLAS at the benchmarks'
// layer sizes (256 x 512 @ 512 x 512 on two threads: 0.74-0.77 ms in numpy, which calls the same
// OpenBLAS, against 0.87-0.92 ms for an onnxruntime session of one MatMul), and the GEMM is most
// of an analog layer's time.
#pragma once

#include <string>

#include "layer_mvm.h"
#include "ort.h"

namespace analog_ops {

// The OpenBLAS library that kernels created now use, "" for onnxruntime's MatMul. It is "" while
// $ANALOG_DEPLOY_OPENBLAS is "none" (read on every call). Otherwise it is found on the first call
// and kept for the process: the library $ANALOG_DEPLOY_OPENBLAS names, else
// scipy_openblas32/lib/libscipy_openblas.so in the site-packages folder this library is installed
// in, else libscipy_openblas.so on the loader's search path; "" if none of them loads. It is set
// to one thread, since its calls run on onnxruntime's threads. Throws if $ANALOG_DEPLOY_OPENBLAS
// names a library that does not load or is not scipy-openblas32's.
const std::string& openblas_path();

// The GEMM of one kernel: OpenBLAS, the product split into row blocks over onnxruntime's
// intra-op thread pool, if openblas_path() was not "" when the kernel was created and the product
// has at least 256 rows; else, and for sizes beyond OpenBLAS's 32-bit integers, onnxruntime's
// MatMul kernel invoked from inside the op.
class OpGemm {
 public:
  explicit OpGemm(const OrtKernelInfo* info);
  // A Gemm for the kernels that runs within `context` (its thread pool).
  analog::Gemm bind(const Ort::KernelContext& context) const;

 private:
  OrtMatMul matmul_;
  bool openblas_;
};

}  // namespace analog_ops
