#include "core/gzip.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "test_util.h"

using namespace mortal;
using Catch::Matchers::Contains;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("concatenated gzip members inflate to the concatenation of their contents, as gzip does", "[gzip]") {
  const Bytes z = concat(concat(test::gzip(text("first ")), test::gzip(text(""))), test::gzip(text("second")));
  CHECK(gunzip(z.data(), z.size(), "two.gz") == text("first second"));
}

TEST_CASE("bytes after the last gzip member that start no member are refused", "[gzip]") {
  const Bytes z = concat(test::gzip(text("data")), text("junk"));
  CHECK_THROWS_WITH(gunzip(z.data(), z.size(), "tail.gz"),
                    Contains("tail.gz") && Contains("4 unexpected bytes after the end"));
  const Bytes cut_member = concat(test::gzip(text("data")), {0x1f, 0x8b, 0x08});
  CHECK_THROWS_WITH(gunzip(cut_member.data(), cut_member.size(), "cut.gz"),
                    Contains("cut.gz") && Contains("truncated"));
}

TEST_CASE("a gzip reader hands out what it inflates piece by piece and tells where the data ends", "[gzip]") {
  const Bytes z = concat(test::gzip(text("abc")), test::gzip(text("defg")));
  GzipReader r(z.data(), z.size(), "pieces.gz");
  Bytes out;
  CHECK(r.read(out, 2) == 2);
  CHECK(!r.at_end());
  CHECK(r.read(out, 4) == 4);  // across the members' boundary
  CHECK(out == text("abcdef"));
  CHECK(!r.at_end());
  CHECK(r.read(out, 10) == 1);
  CHECK(r.at_end());
  CHECK(out == text("abcdefg"));
}

TEST_CASE("inflating stops at the limit, however much more the stream holds", "[gzip]") {
  const Bytes zeros(std::size_t{8} << 20, 0);
  const Bytes z = test::gzip(zeros);
  CHECK_THROWS_WITH(gunzip(z.data(), z.size(), "bomb.gz", 1 << 20),
                    Contains("bomb.gz") && Contains("more than 1048576 bytes"));
  GzipReader r(z.data(), z.size(), "bomb.gz");
  Bytes out;
  CHECK(r.read(out, 100) == 100);
  CHECK(out.size() == 100);
}
