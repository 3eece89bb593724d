#include "core/error.h"

#include <cmath>

namespace mortal {

void check_finite(const char* field, double value) {
  require(std::isfinite(value), "{} must be a finite number, got {}", field, value);
}

void check_positive(const char* field, double value) {
  check_finite(field, value);
  require(value > 0, "{} must be positive, got {}", field, value);
}

void check_nonnegative(const char* field, double value) {
  check_finite(field, value);
  require(value >= 0, "{} must be >= 0, got {}", field, value);
}

void check_probability(const char* field, double value) {
  check_finite(field, value);
  require(value >= 0 && value <= 1, "{} must lie in [0, 1], got {}", field, value);
}

}  // namespace mortal
