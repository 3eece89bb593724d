#pragma once
// A checkpoint: named matrices, random-engine states and JSON values, saved as one gzip-compressed CBOR
// file (atomically) and loaded back exactly. Anything that must survive an interruption (a network's
// weights and optimiser state, a chip's conductances and per-device state, the run's random streams,
// simulated time) puts its parts here under its own key prefix.
#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "core/tensor.h"

namespace mortal {

class Checkpoint {
 public:
  void put(const std::string& key, const Mat& m);
  void put(const std::string& key, const Rng& rng);
  void put_json(const std::string& key, nlohmann::json value);

  // Each get throws Error naming the key (and the file it came from) when it is absent or of another kind.
  void get(const std::string& key, Mat& m) const;
  // The same, for an entry that must be rows x cols of finite numbers (weights, optimiser state).
  void get(const std::string& key, Mat& m, Eigen::Index rows, Eigen::Index cols) const;
  void get(const std::string& key, Rng& rng) const;
  const nlohmann::json& get_json(const std::string& key) const;
  // A JSON entry converted to T; an entry of another type, or an integer outside T's range, is an Error
  // naming the file, the key and the value (never a json exception).
  template <typename T>
  T get_value(const std::string& key) const;
  bool has(const std::string& key) const { return entries_.contains(key); }
  // The keys of the entries of `kind` ("mat", "rng" or "json"), sorted.
  std::vector<std::string> keys(const std::string& kind) const;
  // Every entry of `other`, of every kind, under `prefix` + its key: a part saved on its own (a second
  // chip's update rule) keeps its keys and sits beside the first's.
  void merge(const Checkpoint& other, const std::string& prefix);
  // The entries whose keys start with `prefix`, the prefix taken off: the part merge() put in.
  Checkpoint under(const std::string& prefix) const;

  void save(const std::string& path) const;
  // Throws Error naming the file: not a regular file, not a checkpoint, another format version, corrupt,
  // truncated, or an entry whose fields do not fit its kind.
  static Checkpoint load(const std::string& path);
  // The same for the bytes of a checkpoint file held in memory (gzip included); `name` labels errors.
  static Checkpoint parse(const std::uint8_t* bytes, std::size_t size, const std::string& name);

 private:
  const nlohmann::json& entry(const std::string& key, const char* kind) const;
  [[noreturn]] void fail_value(const std::string& key, const char* expected) const;

  nlohmann::json entries_ = nlohmann::json::object();
  std::string source_ = "checkpoint";  // the file it was loaded from, for error messages
};

template <typename T>
T Checkpoint::get_value(const std::string& key) const {
  const nlohmann::json& v = get_json(key);
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) fail_value(key, "a boolean");
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    // Checked before conversion: nlohmann converts a float or an out-of-range integer without complaint.
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return static_cast<T>(v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      const bool fits = std::is_signed_v<T> ? i >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                                  i <= static_cast<std::int64_t>(std::numeric_limits<T>::max())
                                            : i >= 0 && static_cast<std::uint64_t>(i) <=
                                                            static_cast<std::uint64_t>(std::numeric_limits<T>::max());
      if (fits)
        return static_cast<T>(i);
    }
    fail_value(key, "an integer in range");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) fail_value(key, "a number");
    return v.get<T>();
  } else {
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail_value(key, "a value of the expected type");
    }
  }
}

}  // namespace mortal
