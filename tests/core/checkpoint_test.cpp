#include "core/checkpoint.h"

#include <catch2/catch.hpp>

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
