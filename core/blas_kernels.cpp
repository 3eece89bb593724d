#include "core/blas_kernels.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace mortal {

std::string blas_kernels() {
  // Looked up, not linked: a build against another BLAS has no such function.
  using Corename = char* (*)();
  auto* corename = reinterpret_cast<Corename>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (corename == nullptr) return "";
  const char* name = corename();
  return name != nullptr ? std::string(name) : std::string();
}

std::string blas_kernels_for(bool avx512, bool avx2_fma) {
  if (avx512) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  return "";
}

void restart_with_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // chosen by the user, or by this program already
  if (strcasecmp(blas_kernels().c_str(), "prescott") != 0) return;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const std::string kernels = blas_kernels_for(avx512, avx2_fma);
#else
  const std::string kernels;
#endif
  if (kernels.empty()) return;
  setenv("OPENBLAS_CORETYPE", kernels.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Still here: the program could not be started again; it runs on Prescott's kernels.
  fmt::print(stderr, "note: OpenBLAS runs on its Prescott kernels on this CPU; starting again with "
             "OPENBLAS_CORETYPE={} failed ({}): set that variable yourself for faster products\n", kernels,
             std::strerror(errno));
}

}  // namespace mortal
