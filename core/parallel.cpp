#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

// OpenBLAS's thread control, when the BLAS linked is OpenBLAS (else these stay null).
extern "C" {
void openblas_set_num_threads(int) __attribute__((weak));
int openblas_get_num_threads() __attribute__((weak));
}

namespace mortal {

namespace {

std::atomic<int> g_threads{0};

int default_threads() {
  if (const char* env = std::getenv("MORTAL_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    require(end != env && *end == '\0' && n >= 1 && n <= 4096,
            "environment variable MORTAL_THREADS must be a whole number >= 1, got '{}'", env);
    return int(n);
  }
  return int(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

int worker_threads() {
  const int n = g_threads.load();
  if (n > 0) return n;
  static const int from_env = default_threads();
  return from_env;
}

void set_worker_threads(int n) {
  require(n >= 0, "worker threads must be >= 0 (0: the default), got {}", n);
  g_threads.store(n);
}

SerialBlas::SerialBlas() {
  if (openblas_get_num_threads == nullptr || openblas_set_num_threads == nullptr) return;
  saved_ = openblas_get_num_threads();
  if (saved_ > 1) openblas_set_num_threads(1);
}

SerialBlas::~SerialBlas() {
  if (saved_ > 1) openblas_set_num_threads(saved_);
}

void parallel_for(int n, const std::function<void(int)>& f) {
  const int threads = std::min(worker_threads(), n);
  if (threads <= 1) {
    for (int i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto work = [&] {
    for (int i = next++; i < n; i = next++) {
      try {
        f(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;  // no new pieces: the run fails anyway
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(std::size_t(threads - 1));
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace mortal
