#include "core/parallel.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

using namespace mortal;

namespace {
// Restores the default thread count when a test ends.
struct Threads {
  explicit Threads(int n) { set_worker_threads(n); }
  ~Threads() { set_worker_threads(0); }
};
}  // namespace

TEST_CASE("parallel_for calls every piece exactly once, on any number of threads", "[parallel]") {
  for (int threads : {1, 2, 3, 8}) {
    const Threads t(threads);
    CHECK(worker_threads() == threads);
    std::vector<std::atomic<int>> calls(1000);
    parallel_for(1000, [&](int i) { ++calls[std::size_t(i)]; });
    int wrong = 0;
    for (auto& c : calls) wrong += c.load() != 1;
    CHECK(wrong == 0);
  }
  parallel_for(0, [](int) { FAIL("no piece to run"); });
}

TEST_CASE("a parallel_for inside a piece, or after many others, calls every piece exactly once", "[parallel]") {
  // The helpers are kept between calls and take one job at a time: a nested call runs on its own thread.
  const Threads t(3);
  std::vector<std::atomic<int>> calls(40 * 50);
  parallel_for(40, [&](int i) { parallel_for(50, [&](int k) { ++calls[std::size_t(i * 50 + k)]; }); });
  for (int round = 0; round < 200; ++round) parallel_for(2, [&](int i) { ++calls[std::size_t(i)]; });
  int wrong = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) wrong += calls[i].load() != (i < 2 ? 201 : 1);
  CHECK(wrong == 0);
}

TEST_CASE("an exception in a piece reaches the caller", "[parallel]") {
  const Threads t(2);
  CHECK_THROWS_WITH(parallel_for(50, [](int i) {
                      if (i == 17) throw std::runtime_error("piece 17 failed");
                    }),
                    "piece 17 failed");
  CHECK_THROWS_WITH(set_worker_threads(-1), Catch::Contains("worker threads"));
}

TEST_CASE("parallel_product equals the product and does not depend on the thread count", "[parallel]") {
  const Mat a = Mat::Random(37, 300), b = Mat::Random(500, 300);  // 500 columns: four panels
  Mat one(37, 500), two(37, 500);
  {
    const Threads t(1);
    parallel_product(one, a, b.transpose(), 0.5f);
  }
  {
    const Threads t(2);
    parallel_product(two, a, b.transpose(), 0.5f);
  }
  CHECK(one == two);
  const Mat ref = 0.5f * a * b.transpose();
  CHECK((one - ref).cwiseAbs().maxCoeff() <= 1e-5f * ref.cwiseAbs().maxCoeff());
}
