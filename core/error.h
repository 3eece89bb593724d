#pragma once
// One exception type for every bad input or impossible parameter. Messages name the file or field and the
// offending value, so a scenario can print what() and exit non-zero.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace mortal {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Throws Error unless cond holds.
template <typename... Args>
void require(bool cond, fmt::format_string<Args...> format, Args&&... args) {
  if (!cond) fail(format, std::forward<Args>(args)...);
}

// Parameter checks used by every params struct's validate(): the message names the field and value.
void check_positive(const char* field, double value);
void check_nonnegative(const char* field, double value);
void check_probability(const char* field, double value);
void check_finite(const char* field, double value);

}  // namespace mortal
