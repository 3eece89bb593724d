#include "model/dataset.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace mortal;

namespace {
Dataset counting(int n) {
  Dataset d;
  d.num_classes = 10;
  d.rows = 1;
  d.cols = 1;
  d.images.resize(n, 1);
  for (int i = 0; i < n; ++i) {
    d.images(i, 0) = static_cast<float>(i);
    d.labels.push_back(i % 10);
  }
  return d;
}
}  // namespace

TEST_CASE("shuffling is a permutation decided by the seed alone", "[dataset]") {
  std::vector<int> a = shuffled_indices(1000, 42), b = shuffled_indices(1000, 42), c = shuffled_indices(1000, 43);
  CHECK(a == b);
  CHECK(a != c);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> expect(1000);
  std::iota(expect.begin(), expect.end(), 0);
  CHECK(sorted == expect);
}

TEST_CASE("a validation split holds out disjoint examples that together make the whole set", "[dataset]") {
  Dataset d = counting(100);
  Split s = split_validation(d, 20, 7);
  REQUIRE(s.train.size() == 80);
  REQUIRE(s.validation.size() == 20);
  std::vector<int> seen;
  for (int i = 0; i < 80; ++i) seen.push_back(static_cast<int>(s.train.images(i, 0)));
  for (int i = 0; i < 20; ++i) seen.push_back(static_cast<int>(s.validation.images(i, 0)));
  std::sort(seen.begin(), seen.end());
  for (int i = 0; i < 100; ++i) CHECK(seen[static_cast<std::size_t>(i)] == i);
  // labels travel with their images
  for (int i = 0; i < 20; ++i) CHECK(s.validation.labels[static_cast<std::size_t>(i)] == static_cast<int>(s.validation.images(i, 0)) % 10);
  Split again = split_validation(d, 20, 7);
  CHECK(again.validation.images == s.validation.images);
}

TEST_CASE("an impossible validation count is refused", "[dataset]") {
  Dataset d = counting(10);
  CHECK_THROWS_WITH(split_validation(d, 10, 1), Catch::Matchers::Contains("validation count"));
  CHECK_THROWS_WITH(split_validation(d, -1, 1), Catch::Matchers::Contains("got -1"));
}
