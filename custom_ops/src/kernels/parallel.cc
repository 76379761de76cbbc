#include "parallel.h"

#include <omp.h>

namespace analog {

void OpenMpFor::run(int64_t n, int64_t cost, const RangeBody& body) const {
  const int64_t threads = threads_ < 1 ? 1 : threads_;
  if (n <= 0) return;
  if (threads == 1 || n == 1 || n * cost < kParallelThreshold) {
    body(0, n);
    return;
  }
  const int64_t parts = n < threads ? n : threads;  // one contiguous range per thread
#pragma omp parallel for num_threads(static_cast<int>(parts)) schedule(static)
  for (int64_t part = 0; part < parts; ++part) body(part * n / parts, (part + 1) * n / parts);
}

}  // namespace analog
