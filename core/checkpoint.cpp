#include "core/checkpoint.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/gzip.h"
#include "core/input_file.h"

namespace mortal {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "mortal-checkpoint";
constexpr int kVersion = 1;
// A checkpoint holds a chip's whole state: hundreds of megabytes at most. The cap stops a corrupt or
// hostile file from taking more memory than that before it is refused.
constexpr std::size_t kMaxCheckpointBytes = std::size_t{1} << 31;
// Checkpoints nest a few levels (entry, value, a run's settings); the CBOR reader recurses once per level,
// so a file nesting deeper is refused before it can exhaust the stack.
constexpr std::size_t kMaxDepth = 64;
// A value costs its DOM node (tens of bytes) for one byte of CBOR: a crafted file of many tiny values
// would take gigabytes. Real checkpoints hold a few thousand (matrices are one value each).
constexpr std::size_t kMaxValues = std::size_t{1} << 20;

// nlohmann's DOM builder, with the nesting depth and the number of values bounded.
class BoundedDom : public nlohmann::json_sax<json> {
 public:
  explicit BoundedDom(json& result) : dom_(result, true) {}
  bool too_deep() const { return too_deep_; }
  bool bad_text() const { return bad_text_; }
  bool too_many() const { return values_ > kMaxValues; }

  bool null() override { return counted() && dom_.null(); }
  bool boolean(bool v) override { return counted() && dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return counted() && dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return counted() && dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override { return counted() && dom_.number_float(v, s); }
  bool string(string_t& v) override { return counted() && utf8(v) && dom_.string(v); }
  bool binary(binary_t& v) override { return counted() && dom_.binary(v); }
  bool key(string_t& v) override { return utf8(v) && dom_.key(v); }
  bool start_object(std::size_t n) override { return counted() && deeper() && dom_.start_object(n); }
  bool end_object() override {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override { return counted() && deeper() && dom_.start_array(n); }
  bool end_array() override {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t at, const std::string& token, const nlohmann::detail::exception& e) override {
    return dom_.parse_error(at, token, e);
  }

 private:
  // Text that is not UTF-8 is refused here: every later dump() of a value, in a message or a record,
  // would otherwise throw.
  bool utf8(const string_t& v) {
    try {
      (void)json(v).dump();
    } catch (const json::type_error&) {
      bad_text_ = true;
    }
    return !bad_text_;
  }
  bool counted() { return ++values_ <= kMaxValues; }
  bool deeper() {
    too_deep_ = ++depth_ > kMaxDepth;
    return !too_deep_;
  }
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::size_t depth_ = 0, values_ = 0;
  bool too_deep_ = false, bad_text_ = false;
};

// nlohmann's message without its "[json.exception.<kind>.<id>] " prefix.
std::string json_message(const json::exception& e) {
  const std::string what = e.what();
  const auto end = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && end != std::string::npos ? what.substr(end + 2) : what;
}

// A value as a message shows it: a crafted field may be megabytes of text.
std::string shown(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() <= 80 ? text : text.substr(0, 77) + "...";
}

// What is wrong with a "mat" entry's fields, or "" when nothing is.
std::string mat_fault(const json& e) {
  for (const char* field : {"rows", "cols"}) {
    const bool count = e.contains(field) && (e.at(field).is_number_unsigned() ||
                                             (e.at(field).is_number_integer() && e.at(field).get<std::int64_t>() >= 0));
    if (!count)
      return fmt::format("'{}' is {}, expected a non-negative integer", field,
                         e.contains(field) ? shown(e.at(field)) : "missing");
  }
  if (!e.contains("f32") || !e.at("f32").is_binary()) return "'f32' is missing or not binary data";
  const std::uint64_t rows = e.at("rows").get<std::uint64_t>(), cols = e.at("cols").get<std::uint64_t>();
  const std::size_t bytes = e.at("f32").get_binary().size();
  const std::uint64_t floats = bytes / sizeof(float);
  // rows * cols == floats, without forming a product that may overflow.
  const bool fits = bytes % sizeof(float) == 0 && (rows == 0 || cols == 0 ? floats == 0
                                                                           : floats % rows == 0 && floats / rows == cols);
  if (!fits || rows > std::uint64_t(std::numeric_limits<Eigen::Index>::max()) ||
      cols > std::uint64_t(std::numeric_limits<Eigen::Index>::max()))
    return fmt::format("declares {}x{} floats but holds {} bytes", rows, cols, bytes);
  return "";
}

// What is wrong with an entry, or "" when nothing is.
std::string entry_fault(const json& e) {
  if (!e.is_object()) return "is not a record";
  if (!e.contains("kind") || !e.at("kind").is_string()) return "has no kind";
  const std::string kind = e.at("kind").get<std::string>();
  if (kind == "mat") return mat_fault(e);
  if (kind == "rng")
    return e.contains("state") && e.at("state").is_string() ? "" : "has no random-engine state text";
  if (kind == "json") return e.contains("value") ? "" : "has no value";
  return fmt::format("has an unknown kind {}", shown(e.at("kind")));
}

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
  const std::string fault = entry_fault(*it);
  require(fault.empty(), "{}: entry '{}' {}", source_, key, fault);
  require(it->at("kind") == kind, "{}: entry '{}' is not a {} but a {}", source_, key, kind,
          it->at("kind").get<std::string>());
  return *it;
}

void Checkpoint::fail_value(const std::string& key, const char* expected) const {
  fail("{}: entry '{}' holds {}, expected {}", source_, key, shown(get_json(key)), expected);
}

std::vector<std::string> Checkpoint::keys(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& [key, e] : entries_.items())
    if (e.is_object() && e.contains("kind") && e.at("kind") == kind) out.push_back(key);
  return out;
}

void Checkpoint::merge(const Checkpoint& other, const std::string& prefix) {
  for (const auto& [key, e] : other.entries_.items()) entries_[prefix + key] = e;
}

Checkpoint Checkpoint::under(const std::string& prefix) const {
  Checkpoint part;
  part.source_ = source_;
  for (const auto& [key, e] : entries_.items())
    if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0)
      part.entries_[key.substr(prefix.size())] = e;
  return part;
}

void Checkpoint::get(const std::string& key, Mat& m) const {
  const nlohmann::json& e = entry(key, "mat");
  const auto rows = e.at("rows").get<Eigen::Index>(), cols = e.at("cols").get<Eigen::Index>();
  const auto& bytes = e.at("f32").get_binary();
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
  for (std::string w; words >> w; ++count) {
    Rng::result_type word = 0;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), word);
    require(ec == std::errc() && end == w.data() + w.size() && w.find_first_not_of("0123456789") == std::string::npos,
            "{}: entry '{}' holds no valid random-engine state (word {} is '{}')", source_, key, count,
            w.size() > 24 ? w.substr(0, 21) + "..." : w);
  }
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
  const std::vector<std::uint8_t> z = read_input_file(path, "checkpoint", kMaxCheckpointBytes);
  return parse(z.data(), z.size(), path);
}

Checkpoint Checkpoint::parse(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  require(is_gzip(bytes, size), "{}: not a checkpoint (no gzip header)", name);
  const std::vector<std::uint8_t> cbor = gunzip(bytes, size, name, kMaxCheckpointBytes);
  json doc;
  // Every json exception ends here, told as what it is: nlohmann's own text never reaches the user.
  try {
    BoundedDom dom(doc);
    const bool ok = json::sax_parse(cbor, &dom, json::input_format_t::cbor, true);
    require(!dom.too_deep(), "{}: corrupt checkpoint (values nested more than {} deep)", name, kMaxDepth);
    require(!dom.bad_text(), "{}: corrupt checkpoint (a text that is not UTF-8)", name);
    require(!dom.too_many(), "{}: corrupt checkpoint (more than {} values)", name, kMaxValues);
    require(ok, "{}: corrupt checkpoint (not CBOR)", name);
  } catch (const json::exception& e) {
    fail("{}: corrupt checkpoint (not CBOR: {})", name, json_message(e));
  }
  require(doc.is_object(), "{}: not a mortal checkpoint (its content is not a record)", name);
  const auto field = [&](const char* key) { return doc.contains(key) ? shown(doc.at(key)) : "missing"; };
  require(doc.contains("format") && doc.at("format") == kFormat,
          "{}: not a mortal checkpoint ('format' is {}, expected \"{}\")", name, field("format"), kFormat);
  require(doc.contains("version") && doc.at("version") == kVersion,
          "{}: checkpoint format 'version' is {} (this build reads {})", name, field("version"), kVersion);
  require(doc.contains("entries") && doc.at("entries").is_object(),
          "{}: corrupt checkpoint ('entries' is not a record)", name);
  for (const auto& [key, e] : doc.at("entries").items()) {
    const std::string fault = entry_fault(e);
    require(fault.empty(), "{}: corrupt checkpoint: entry '{}' {}", name, key, fault);
  }
  Checkpoint c;
  c.entries_ = std::move(doc.at("entries"));
  c.source_ = name;
  return c;
}

}  // namespace mortal
