// Feeds arbitrary bytes to the checkpoint reader (gzip, CBOR, the entries' fields), then reads back every
// entry of every kind present as a trainer would. Allowed outcomes: values, or a mortal::Error naming the
// fault; a crash, a sanitizer report or any other exception (a json one above all) is a bug.
#include <cstddef>
#include <cstdint>

#include "core/checkpoint.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const mortal::Checkpoint c = mortal::Checkpoint::parse(data, size, "fuzz-input");
    for (const std::string& key : c.keys("mat")) {
      mortal::Mat m;
      try {
        c.get(key, m);
        if (m.size() > 0) c.get(key, m, m.rows(), m.cols());
      } catch (const mortal::Error&) {
      }
    }
    for (const std::string& key : c.keys("rng")) {
      mortal::Rng rng;
      try {
        c.get(key, rng);
        (void)rng();
      } catch (const mortal::Error&) {
      }
    }
    for (const std::string& key : c.keys("json")) {
      (void)c.get_json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);  // text was checked
      try {
        (void)c.get_value<int>(key);
      } catch (const mortal::Error&) {
      }
      try {
        (void)c.get_value<std::uint64_t>(key);
      } catch (const mortal::Error&) {
      }
      try {
        (void)c.get_value<double>(key);
      } catch (const mortal::Error&) {
      }
      try {
        (void)c.get_value<bool>(key);
      } catch (const mortal::Error&) {
      }
    }
  } catch (const mortal::Error&) {
  }
  return 0;
}
