#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

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

// A moment's wait in a spin loop.
inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Helper threads kept from one parallel_for to the next: the per-thread work buffers of the crossbar's
// passes (thread_local) then live as long as the process, instead of being allocated again by new threads
// on every call (and the threads are not started again either). One job at a time: a parallel_for that
// finds the pool busy (nested, or from another thread) runs its pieces on its own thread.
class HelperPool {
 public:
  // Runs job(context) on `helpers` pool threads and on the calling thread, and returns when all are done;
  // false (nothing run) when the pool is busy.
  bool run(int helpers, void (*job)(void*), void* context) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (job_ != nullptr || in_pool_) return false;
    for (; threads_ < helpers; ++threads_) std::thread([this, id = threads_] { serve(id); }).detach();
    job_ = job;
    context_ = context;
    helpers_ = helpers;
    pending_ = helpers;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    job(context);
    lock.lock();
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    return true;
  }

 private:
  // A helper: waits for each new job and takes part in it if it is one of the first `helpers_`.
  void serve(int id) {
    in_pool_ = true;
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // The next job usually comes within a fraction of a millisecond (a step runs several in a row).
      // Watching for it a while before sleeping keeps this thread on its own core: a sleeping helper is
      // woken onto the caller's core, and the two then share one while the other runs something else.
      lock.unlock();
      const auto until = std::chrono::steady_clock::now() + kSpin;
      while (generation_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until)
        pause();
      lock.lock();
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      seen = generation_.load();
      if (id >= helpers_) continue;
      void (*job)(void*) = job_;
      void* context = context_;
      lock.unlock();
      job(context);
      lock.lock();
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  int threads_ = 0;
  void (*job_)(void*) = nullptr;
  void* context_ = nullptr;
  int helpers_ = 0, pending_ = 0;
  std::atomic<std::uint64_t> generation_{0};  // written under mutex_, read without it while spinning
  static constexpr std::chrono::microseconds kSpin{200};
  static thread_local bool in_pool_;
};
thread_local bool HelperPool::in_pool_ = false;

// Never destroyed: its threads wait for work until the process ends.
HelperPool& helper_pool() {
  static HelperPool* const pool = new HelperPool;
  return *pool;
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
  const auto run = [](void* w) { (*static_cast<decltype(work)*>(w))(); };
  if (!helper_pool().run(threads - 1, run, const_cast<void*>(static_cast<const void*>(&work)))) work();
  if (error) std::rethrow_exception(error);
}

}  // namespace mortal
