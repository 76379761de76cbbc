// How a kernel's independent iterations are spread over threads. The host decides: the Python
// package (ctypes) runs them on OpenMP threads, the onnxruntime ops on the session's intra-op
// thread pool, so that the op never competes with onnxruntime's own threads for the cores.
#pragma once

#include <cstdint>
#include <functional>

namespace analog {

using RangeBody = std::function<void(int64_t begin, int64_t end)>;

class ParallelFor {
 public:
  virtual ~ParallelFor() = default;
  // Calls body(begin, end) on consecutive ranges that cover [0, n) exactly once, possibly
  // concurrently; `cost` (work units per item, e.g. values per row) decides whether threads
  // pay off. Returns when every range is done.
  virtual void run(int64_t n, int64_t cost, const RangeBody& body) const = 0;
};

// Work below this many units (about 16 k values) runs on the calling thread.
constexpr int64_t kParallelThreshold = 1 << 14;

// OpenMP threads (`threads` of them), for hosts without a thread pool of their own.
class OpenMpFor final : public ParallelFor {
 public:
  explicit OpenMpFor(int threads) : threads_(threads) {}
  void run(int64_t n, int64_t cost, const RangeBody& body) const override;

 private:
  int threads_;
};

}  // namespace analog
