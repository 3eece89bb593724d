#include "core/error.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mortal;
using Catch::Matchers::Contains;

TEST_CASE("parameter checks name the field and the value", "[error]") {
  CHECK_THROWS_WITH(check_positive("device.g_max", -1.5), Contains("device.g_max") && Contains("-1.5"));
  CHECK_THROWS_WITH(check_probability("fault.rate", 1.5), Contains("fault.rate") && Contains("[0, 1]"));
  CHECK_THROWS_WITH(check_nonnegative("noise.sigma", -0.1), Contains("noise.sigma"));
  CHECK_THROWS_WITH(check_finite("w", std::nan("")), Contains("w must be a finite number"));
  CHECK_NOTHROW(check_probability("p", 0.0));
  CHECK_NOTHROW(check_positive("p", 1e-9));
}
