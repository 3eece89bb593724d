#include "core/blas_kernels.h"

#include <catch2/catch.hpp>

using namespace mortal;

TEST_CASE("a CPU OpenBLAS took for a Prescott gets the kernels of its widest vector unit", "[blas]") {
  CHECK(blas_kernels_for(true, true) == "SkylakeX");
  CHECK(blas_kernels_for(false, true) == "Haswell");
  CHECK(blas_kernels_for(false, false).empty());
}

#ifdef EIGEN_USE_BLAS
TEST_CASE("the kernel set OpenBLAS runs on can be named", "[blas]") {
  // The build routes its products to the system's BLAS; Debian's is OpenBLAS, which names its kernels.
  CHECK_FALSE(blas_kernels().empty());
}
#endif
