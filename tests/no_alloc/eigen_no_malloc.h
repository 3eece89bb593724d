#pragma once
// Read before anything else by every source of mortal_no_alloc_tests (tests/CMakeLists.txt): Eigen then
// checks each heap allocation it makes against Eigen::internal::set_is_malloc_allowed, and its checks report
// here instead of through assert(), which a Release build compiles out.
#define EIGEN_RUNTIME_NO_MALLOC

namespace mortal::test {
// Records a failed Eigen check (a refused allocation, or any other): counted, the first one's text kept.
void eigen_check_failed(const char* what, const char* file, int line);
}  // namespace mortal::test

#define eigen_assert(x) ((x) ? static_cast<void>(0) : ::mortal::test::eigen_check_failed(#x, __FILE__, __LINE__))
