#include "core/checkpoint.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;
using Catch::Matchers::Contains;

TEST_CASE("a checkpoint gives back exactly the matrices, engine states and values put in", "[checkpoint]") {
  test::TempDir dir;
  Mat w = Mat::Random(7, 3);
  Rng rng = make_rng(3, "noise");
  rng.discard(1000);
  Checkpoint c;
  c.put("layer0.w", w);
  c.put("rng.noise", rng);
  c.put_json("epoch", 4);
  c.put("empty", Mat(0, 5));
  c.save(dir.file("run.ckpt"));

  Checkpoint back = Checkpoint::load(dir.file("run.ckpt"));
  Mat w2, e;
  Rng rng2;
  back.get("layer0.w", w2);
  back.get("rng.noise", rng2);
  back.get("empty", e);
  CHECK(w2 == w);
  CHECK(rng2() == rng());  // the restored engine continues the same sequence
  CHECK(back.get_json("epoch") == 4);
  CHECK(e.rows() == 0);
  CHECK(e.cols() == 5);
}

TEST_CASE("a part merged under a prefix comes back whole from under(), beside entries of the same keys",
          "[checkpoint]") {
  test::TempDir dir;
  Checkpoint part;
  const Mat v = Mat::Random(2, 4);
  Rng rng = make_rng(5, "pulses");
  rng.discard(77);
  part.put("trainer.layer0.v", v);
  part.put("trainer.rng", rng);
  part.put_json("trainer.steps", 12);
  Checkpoint c;
  c.put_json("trainer.steps", 3);  // the same key unprefixed: another part's, left as it is
  c.merge(part, "down.");
  c.save(dir.file("two.ckpt"));

  const Checkpoint back = Checkpoint::load(dir.file("two.ckpt")).under("down.");
  Mat v2;
  Rng rng2;
  back.get("trainer.layer0.v", v2);
  back.get("trainer.rng", rng2);
  CHECK(v2 == v);
  CHECK(rng2() == rng());
  CHECK(back.get_json("trainer.steps") == 12);
  CHECK(back.keys("json") == std::vector<std::string>{"trainer.steps"});
  CHECK(Checkpoint::load(dir.file("two.ckpt")).get_json("trainer.steps") == 3);
  // An entry missing from the part is named with the file it came from.
  Mat m;
  CHECK_THROWS_WITH(back.get("trainer.layer1.v", m), Contains("two.ckpt") && Contains("no entry 'trainer.layer1.v'"));
}

TEST_CASE("a missing or mistyped checkpoint entry is an error naming it", "[checkpoint]") {
  Checkpoint c;
  c.put_json("epoch", 1);
  Mat m;
  CHECK_THROWS_WITH(c.get("layer9.w", m), Contains("no entry 'layer9.w'"));
  CHECK_THROWS_WITH(c.get("epoch", m), Contains("'epoch' is not a mat"));
}

TEST_CASE("a corrupt, truncated or foreign checkpoint file is refused naming the file", "[checkpoint]") {
  test::TempDir dir;
  Checkpoint c;
  c.put("w", Mat::Random(50, 50));
  c.save(dir.file("good"));
  std::ifstream in(dir.file("good"), std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  test::write_bytes(dir.file("cut"), std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 100));
  CHECK_THROWS_WITH(Checkpoint::load(dir.file("cut")), Contains(dir.file("cut")) && Contains("truncated"));
  test::write_bytes(dir.file("text"), {'h', 'i'});
  CHECK_THROWS_WITH(Checkpoint::load(dir.file("text")), Contains("not a checkpoint"));
  const std::string json = "{\"format\":\"other\"}";
  test::write_bytes(dir.file("other"), test::gzip(std::vector<std::uint8_t>(json.begin(), json.end())));
  CHECK_THROWS_AS(Checkpoint::load(dir.file("other")), Error);
}

TEST_CASE("an entry read with its expected shape refuses another shape and non-finite values", "[checkpoint]") {
  Mat w = Mat::Constant(2, 3, 0.5f), bad = w;
  bad(1, 2) = std::numeric_limits<float>::quiet_NaN();
  Checkpoint c;
  c.put("w", w);
  c.put("bad", bad);
  Mat out;
  c.get("w", out, 2, 3);
  CHECK(out == w);
  CHECK_THROWS_WITH(c.get("w", out, 3, 2), Contains("'w' is 2x3, expected 3x2"));
  CHECK_THROWS_WITH(c.get("bad", out, 2, 3), Contains("'bad' holds nan at (1, 2)"));
  CHECK(out == w);  // a refused entry leaves the target as it was
}

namespace {

using nlohmann::json;
using Bytes = std::vector<std::uint8_t>;

// A checkpoint file's bytes holding `doc` as it is, however wrong.
Bytes checkpoint_bytes(const json& doc) { return test::gzip(json::to_cbor(doc)); }

json with_entries(json entries) {
  return {{"format", "mortal-checkpoint"}, {"version", 1}, {"entries", std::move(entries)}};
}

// The message parse gives for `doc`, which must be refused.
std::string refusal(const Bytes& bytes) {
  try {
    (void)Checkpoint::parse(bytes.data(), bytes.size(), "crafted.ckpt");
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("the checkpoint was accepted");
  return "";
}

}  // namespace

TEST_CASE("a checkpoint parsed from bytes in memory is the one load reads from its file", "[checkpoint]") {
  test::TempDir dir;
  Checkpoint c;
  c.put("w", Mat::Constant(2, 2, 1.5f));
  c.put_json("epoch", 3);
  c.save(dir.file("run.ckpt"));
  std::ifstream in(dir.file("run.ckpt"), std::ios::binary);
  const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Checkpoint back = Checkpoint::parse(bytes.data(), bytes.size(), "memory");
  Mat w;
  back.get("w", w);
  CHECK(w == Mat::Constant(2, 2, 1.5f));
  CHECK(back.get_value<int>("epoch") == 3);
  CHECK(back.keys("mat") == std::vector<std::string>{"w"});
  CHECK(back.keys("json") == std::vector<std::string>{"epoch"});
}

TEST_CASE("a crafted checkpoint with fields of the wrong type is refused naming the field, never with json's "
          "own text",
          "[checkpoint]") {
  const std::vector<std::pair<json, std::string>> cases = {
      {json{{"format", 5}}, "'format' is 5"},
      {json{{"format", "mortal-checkpoint"}, {"version", "1"}}, "'version' is \"1\""},
      {json{{"format", "mortal-checkpoint"}, {"version", 1}}, "'entries' is not a record"},
      {json::array({1, 2}), "not a record"},
      {with_entries({{"e", 5}}), "entry 'e' is not a record"},
      {with_entries({{"e", {{"kind", 7}}}}), "entry 'e' has no kind"},
      {with_entries({{"e", {{"kind", "tensor"}}}}), "entry 'e' has an unknown kind \"tensor\""},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", "2"}, {"cols", 1}}}}), "'rows' is \"2\""},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", -1}, {"cols", 1}}}}), "'rows' is -1"},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", 1.5}, {"cols", 1}}}}), "'rows' is 1.5"},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", 1}, {"cols", std::string(100000, 'c')}}}}),
       "'cols' is \"ccccccccc"},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", 1}, {"cols", 1}, {"f32", "text"}}}}), "'f32'"},
      {with_entries({{"e", {{"kind", "mat"}, {"rows", std::uint64_t{1} << 62}, {"cols", 4},
                            {"f32", json::binary(Bytes{})}}}}),
       "declares 4611686018427387904x4 floats but holds 0 bytes"},
      {with_entries({{"e", {{"kind", "rng"}, {"state", 5}}}}), "entry 'e' has no random-engine state"},
      {with_entries({{"e", {{"kind", "json"}}}}), "entry 'e' has no value"},
  };
  for (const auto& [doc, expect] : cases) {
    const std::string why = refusal(checkpoint_bytes(doc));
    INFO(doc.dump() << " -> " << why);
    CHECK_THAT(why, Contains("crafted.ckpt") && Contains(expect) && !Contains("json.exception"));
    CHECK(why.size() < 300);  // a crafted value is shown cut short
  }
}

TEST_CASE("bytes that are not CBOR, nest too deep, hold too many values or text that is not UTF-8 are refused "
          "as corrupt",
          "[checkpoint]") {
  CHECK_THAT(refusal(test::gzip({0xff, 0xfe, 0x01})), Contains("crafted.ckpt") && Contains("corrupt checkpoint") &&
                                                          !Contains("json.exception"));
  // An array declaring more elements than memory can hold.
  CHECK_THAT(refusal(test::gzip({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
             Contains("corrupt checkpoint") && !Contains("json.exception"));
  // 100000 arrays, each inside the next: the reader would recurse once per level.
  Bytes deep(100000, 0x81);
  deep.push_back(0x00);
  CHECK_THAT(refusal(test::gzip(deep)), Contains("corrupt checkpoint") && Contains("nested more than"));
  // An array of two million nulls: kilobytes compressed, a DOM node each once read.
  Bytes many = {0x9a, 0x00, 0x1e, 0x84, 0x80};
  many.resize(many.size() + 2000000, 0xf6);
  CHECK_THAT(refusal(test::gzip(many)), Contains("corrupt checkpoint") && Contains("more than 1048576 values"));
  json doc = with_entries({{"e", {{"kind", "json"}, {"value", "x"}}}});
  Bytes cbor = json::to_cbor(doc);
  const Bytes x = {0x61, 'x'};  // CBOR's text of length 1, "x"
  const auto at = std::search(cbor.begin(), cbor.end(), x.begin(), x.end());
  REQUIRE(at != cbor.end());
  at[1] = 0xff;
  CHECK_THAT(refusal(test::gzip(cbor)), Contains("corrupt checkpoint") && Contains("UTF-8"));
}

TEST_CASE("a random-engine state whose words do not fit the engine is refused", "[checkpoint]") {
  std::string words;
  for (std::size_t i = 0; i < Rng::state_size; ++i) words += i == 5 ? "99999999999999999999999 " : "7 ";
  const Bytes bytes = checkpoint_bytes(with_entries({{"rng", {{"kind", "rng"}, {"state", words}}}}));
  const Checkpoint c = Checkpoint::parse(bytes.data(), bytes.size(), "crafted.ckpt");
  Rng rng;
  CHECK_THROWS_WITH(c.get("rng", rng), Contains("crafted.ckpt") && Contains("'rng'") &&
                                           Contains("word 5 is '99999999999999999999999'"));
}

TEST_CASE("a JSON entry read as a number or flag is checked for type and range, naming key and value",
          "[checkpoint]") {
  Checkpoint c;
  c.put_json("big", 1e300);
  c.put_json("negative", -1);
  c.put_json("text", "a");
  c.put_json("three", 3);
  c.put_json("huge", std::uint64_t{1} << 40);
  CHECK_THROWS_WITH(c.get_value<int>("big"), Contains("'big' holds 1e+300, expected an integer"));
  CHECK_THROWS_WITH(c.get_value<unsigned>("negative"), Contains("'negative' holds -1"));
  CHECK(c.get_value<int>("negative") == -1);
  CHECK_THROWS_WITH(c.get_value<double>("text"), Contains("'text' holds \"a\", expected a number"));
  CHECK_THROWS_WITH(c.get_value<bool>("three"), Contains("'three' holds 3, expected a boolean"));
  CHECK_THROWS_WITH(c.get_value<int>("huge"), Contains("'huge' holds 1099511627776"));
  CHECK(c.get_value<std::int64_t>("huge") == std::int64_t{1} << 40);
  CHECK(c.get_value<double>("three") == 3.0);
  CHECK(c.get_value<std::string>("text") == "a");
  CHECK_THROWS_WITH(c.get_value<std::string>("three"), Contains("'three' holds 3"));
}

TEST_CASE("a checkpoint path that is a directory or a FIFO is refused naming it", "[checkpoint]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(Checkpoint::load(dir.path().string()),
                    Contains(dir.path().string()) && Contains("checkpoint must be a regular file") &&
                        Contains("a directory"));
  REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(Checkpoint::load(dir.file("fifo")), Contains(dir.file("fifo")) && Contains("a FIFO"));
}
