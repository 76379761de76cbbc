#include "blas.h"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace analog_ops {
namespace {

constexpr const char* kEnvironment = "ANALOG_DEPLOY_OPENBLAS";
constexpr const char* kLibrary = "libscipy_openblas.so";

// cblas_sgemm of scipy-openblas32 (its symbols carry the prefix scipy_; 32-bit integers).
using Sgemm = void (*)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                       const float* b, int ldb, float beta, float* c, int ldc);
constexpr int kRowMajor = 101, kNoTrans = 111;

struct OpenBlas {
  std::string path;
  Sgemm sgemm = nullptr;
};

// The library at `path` if it loads and has scipy-openblas32's sgemm; `error` says why not.
OpenBlas open_library(const std::string& path, std::string& error) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    error = dlerror();
    return {};
  }
  auto sgemm = reinterpret_cast<Sgemm>(dlsym(handle, "scipy_cblas_sgemm"));
  auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(handle, "scipy_openblas_set_num_threads"));
  if (sgemm == nullptr || set_threads == nullptr) {
    error = "it has no scipy_cblas_sgemm or scipy_openblas_set_num_threads (not scipy-openblas32's library)";
    return {};
  }
  set_threads(1);
  char resolved[PATH_MAX];
  return {realpath(path.c_str(), resolved) ? resolved : path, sgemm};
}

// scipy_openblas32's library beside this library's package folder (both in site-packages).
std::string beside_package() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&openblas_path), &info) == 0 || info.dli_fname == nullptr) return "";
  std::string self = info.dli_fname;  // <site-packages>/analog_deploy/lib/libanalog_deploy_ops.so
  for (int level = 0; level < 3; ++level) {
    const size_t slash = self.find_last_of('/');
    if (slash == std::string::npos) return "";
    self.resize(slash);
  }
  return self + "/scipy_openblas32/lib/" + kLibrary;
}

const OpenBlas& openblas() {
  static const OpenBlas library = [] {
    std::string error;
    const char* given = std::getenv(kEnvironment);
    if (given != nullptr) {
      OpenBlas found = open_library(given, error);
      if (found.sgemm == nullptr) {
        throw std::runtime_error(std::string(kEnvironment) + "=" + given + ": cannot use this library (" + error +
                                 "); point it to scipy-openblas32's " + kLibrary + ", set it to 'none' (onnxruntime's MatMul) or unset it");
      }
      return found;
    }
    for (const std::string& candidate : {beside_package(), std::string(kLibrary)}) {
      if (candidate.empty()) continue;
      OpenBlas found = open_library(candidate, error);
      if (found.sgemm != nullptr) return found;
    }
    return OpenBlas{};
  }();
  return library;
}

bool fits_int(int64_t value) { return value <= INT_MAX; }

// Rows per OpenBLAS call at least: every call packs the whole of b, which pays off only over
// enough rows. With fewer rows in all, onnxruntime's MatMul is as fast or faster (MLP 784-512-
// 512-10 at batch 1: 102 against 185 us, at batch 8 to 128 within the noise).
constexpr int64_t kRowBlock = 128;

// c = a @ b by OpenBLAS in row blocks of at least kRowBlock rows over `parallel`.
void split_sgemm(Sgemm sgemm, const analog::ParallelFor& parallel, const float* a, int64_t rows, int64_t k,
                 const float* b, int64_t m, float* c) {
  static const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  const int64_t parts = std::max<int64_t>(1, std::min(cores, rows / kRowBlock));
  parallel.run(parts, analog::kParallelThreshold, [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; ++part) {
      const int64_t r0 = part * rows / parts, r1 = (part + 1) * rows / parts;
      sgemm(kRowMajor, kNoTrans, kNoTrans, static_cast<int>(r1 - r0), static_cast<int>(m), static_cast<int>(k), 1.0f,
            a + r0 * k, static_cast<int>(k), b, static_cast<int>(m), 0.0f, c + r0 * m, static_cast<int>(m));
    }
  });
}

}  // namespace

const std::string& openblas_path() {
  static const std::string none;
  const char* given = std::getenv(kEnvironment);
  return given != nullptr && std::string(given) == "none" ? none : openblas().path;
}

OpGemm::OpGemm(const OrtKernelInfo* info) : matmul_(info), openblas_(!openblas_path().empty()) {}

analog::Gemm OpGemm::bind(const Ort::KernelContext& context) const {
  const analog::Gemm fallback = matmul_.bind(context);
  if (!openblas_) return fallback;
  return [fallback, &context](const float* a, int64_t rows, int64_t k, const float* b, int64_t m, float* c) {
    if (rows < 2 * kRowBlock || !fits_int(rows) || !fits_int(k) || !fits_int(m)) return fallback(a, rows, k, b, m, c);
    split_sgemm(openblas().sgemm, OrtParallelFor(context), a, rows, k, b, m, c);
  };
}

}  // namespace analog_ops

// openblas_path() for Python (ctypes); null, with the message in `error` (NUL-terminated,
// truncated to `error_size` bytes), if it throws.
extern "C" __attribute__((visibility("default"))) const char* ad_ops_openblas_path(char* error, int64_t error_size) {
  try {
    return analog_ops::openblas_path().c_str();
  } catch (const std::exception& failure) {
    if (error_size > 0) {
      std::strncpy(error, failure.what(), static_cast<size_t>(error_size) - 1);
      error[error_size - 1] = '\0';
    }
    return nullptr;
  }
}
