#pragma once
// Work split into a fixed number of independent pieces, run on the machine's cores. The pieces are fixed by
// the caller (never by the thread count) and each draws from its own random stream, so a run gives the same
// numbers on one core or many.
#include <algorithm>
#include <functional>

#include "core/tensor.h"

namespace mortal {

// Threads parallel_for uses: the environment variable MORTAL_THREADS if set (>= 1), else the cores the
// machine reports; set_worker_threads overrides both (0 restores the default).
int worker_threads();
void set_worker_threads(int n);

// Calls f(i) for every i in [0, n), on up to worker_threads() threads (the caller is one of them). Returns
// when all calls are done; the first exception thrown by any call is rethrown here.
void parallel_for(int n, const std::function<void(int)>& f);

// While alive, BLAS products run on the calling thread only (when the BLAS is OpenBLAS): for products
// issued from parallel_for pieces, and so that BLAS's own idle workers, which spin for a while after each
// product, do not take the cores from the element-wise passes between products.
class SerialBlas {
 public:
  SerialBlas();
  ~SerialBlas();
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_ = 0;
};

// Columns of the output per piece of parallel_product (fixed, so the result does not depend on the
// number of threads).
constexpr Eigen::Index kProductPanel = 128;

// out = scale * lhs * rhs, the columns of out in fixed panels of kProductPanel on parallel_for, each
// panel one single-threaded BLAS product. out must not alias lhs or rhs.
template <typename Lhs, typename Rhs>
void parallel_product(MatRef out, const Lhs& lhs, const Rhs& rhs, float scale = 1.0f) {
  const Eigen::Index cols = out.cols();
  const int panels = int((cols + kProductPanel - 1) / kProductPanel);
  const SerialBlas serial;
  parallel_for(panels, [&](int k) {
    const Eigen::Index j0 = Eigen::Index(k) * kProductPanel, n = std::min(kProductPanel, cols - j0);
    out.middleCols(j0, n).noalias() = scale * lhs * rhs.middleCols(j0, n);
  });
}

}  // namespace mortal
