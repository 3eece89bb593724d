#pragma once
// A checkpoint: named matrices, random-engine states and JSON values, saved as one gzip-compressed CBOR
// file (atomically) and loaded back exactly. Anything that must survive an interruption (a network's
// weights and optimiser state, a chip's conductances and per-device state, the run's random streams,
// simulated time) puts its parts here under its own key prefix.
#include <nlohmann/json.hpp>

#include <string>

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
  bool has(const std::string& key) const { return entries_.contains(key); }

  void save(const std::string& path) const;
  // Throws Error naming the file: not a checkpoint, another format version, corrupt or truncated.
  static Checkpoint load(const std::string& path);

 private:
  const nlohmann::json& entry(const std::string& key, const char* kind) const;

  nlohmann::json entries_ = nlohmann::json::object();
  std::string source_ = "checkpoint";  // the file it was loaded from, for error messages
};

}  // namespace mortal
