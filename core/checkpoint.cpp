#include "core/checkpoint.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/gzip.h"

namespace mortal {
namespace {

constexpr const char* kFormat = "mortal-checkpoint";
constexpr int kVersion = 1;

}  // namespace

void Checkpoint::put(const std::string& key, const Mat& m) {
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(m.size()) * sizeof(float));
  if (!bytes.empty()) std::memcpy(bytes.data(), m.data(), bytes.size());
  entries_[key] = {{"kind", "mat"}, {"rows", m.rows()}, {"cols", m.cols()},
                   {"f32", nlohmann::json::binary(std::move(bytes))}};
}

void Checkpoint::put(const std::string& key, const Rng& rng) {
  std::ostringstream state;
  state << rng;
  entries_[key] = {{"kind", "rng"}, {"state", state.str()}};
}

void Checkpoint::put_json(const std::string& key, nlohmann::json value) {
  entries_[key] = {{"kind", "json"}, {"value", std::move(value)}};
}

const nlohmann::json& Checkpoint::entry(const std::string& key, const char* kind) const {
  auto it = entries_.find(key);
  require(it != entries_.end(), "{}: no entry '{}'", source_, key);
  require(it->is_object() && it->value("kind", "") == kind, "{}: entry '{}' is not a {}", source_, key, kind);
  return *it;
}

void Checkpoint::get(const std::string& key, Mat& m) const {
  const nlohmann::json& e = entry(key, "mat");
  const auto rows = e.at("rows").get<Eigen::Index>(), cols = e.at("cols").get<Eigen::Index>();
  const auto& bytes = e.at("f32").get_binary();
  require(rows >= 0 && cols >= 0 && bytes.size() == static_cast<std::size_t>(rows * cols) * sizeof(float),
          "{}: entry '{}' declares {}x{} floats but holds {} bytes", source_, key, rows, cols, bytes.size());
  m.resize(rows, cols);
  if (!bytes.empty()) std::memcpy(m.data(), bytes.data(), bytes.size());
}

void Checkpoint::get(const std::string& key, Mat& m, Eigen::Index rows, Eigen::Index cols) const {
  Mat v;
  get(key, v);
  require(v.rows() == rows && v.cols() == cols, "{}: entry '{}' is {}x{}, expected {}x{}", source_, key, v.rows(),
          v.cols(), rows, cols);
  for (Eigen::Index i = 0; i < v.rows(); ++i)
    for (Eigen::Index j = 0; j < v.cols(); ++j)
      require(std::isfinite(v(i, j)), "{}: entry '{}' holds {} at ({}, {})", source_, key, v(i, j), i, j);
  m = std::move(v);
}

void Checkpoint::get(const std::string& key, Rng& rng) const {
  const std::string text = entry(key, "rng").at("state").get<std::string>();
  // The engine's reader sets failbit at the end of the text even on success, so check the shape first:
  // exactly state_size unsigned integers.
  std::istringstream words(text);
  std::size_t count = 0;
  for (std::string w; words >> w; ++count)
    require(w.find_first_not_of("0123456789") == std::string::npos, "{}: entry '{}' holds no valid random-engine state",
            source_, key);
  require(count == Rng::state_size, "{}: entry '{}' holds {} state words, expected {}", source_, key, count,
          std::size_t{Rng::state_size});
  std::istringstream state(text);
  state >> rng;
}

const nlohmann::json& Checkpoint::get_json(const std::string& key) const {
  return entry(key, "json").at("value");
}

void Checkpoint::save(const std::string& path) const {
  const nlohmann::json doc = {{"format", kFormat}, {"version", kVersion}, {"entries", entries_}};
  const std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(doc);
  const std::vector<std::uint8_t> z = gzip_compress(cbor.data(), cbor.size(), 1);
  write_file_atomic(path, std::string(z.begin(), z.end()));
}

Checkpoint Checkpoint::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  require(bool(in), "{}: cannot open checkpoint", path);
  const std::vector<std::uint8_t> z((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require(is_gzip(z.data(), z.size()), "{}: not a checkpoint (no gzip header)", path);
  const std::vector<std::uint8_t> cbor = gunzip(z.data(), z.size(), path);
  nlohmann::json doc = nlohmann::json::from_cbor(cbor, true, false);
  require(!doc.is_discarded() && doc.is_object(), "{}: corrupt checkpoint (not CBOR)", path);
  require(doc.value("format", "") == kFormat, "{}: not a mortal checkpoint", path);
  require(doc.value("version", 0) == kVersion, "{}: checkpoint format version {} (this build reads {})", path,
          doc.value("version", 0), kVersion);
  Checkpoint c;
  c.entries_ = std::move(doc.at("entries"));
  c.source_ = path;
  return c;
}

}  // namespace mortal
