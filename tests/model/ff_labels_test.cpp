#include "model/ff_labels.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace mortal;

TEST_CASE("the label is written into the first pixels and the neutral label fills them all", "[ff]") {
  Mat images = Mat::Constant(2, 5, 0.5f), out(2, 5);
  LabelCoding c;
  c.classes = 3;
  c.value = 2;
  overlay_labels(out, images, {2, 0}, c);
  Mat expected(2, 5);
  expected << 0, 0, 2, 0.5f, 0.5f, 2, 0, 0, 0.5f, 0.5f;
  CHECK(out == expected);
  overlay_neutral(out, images, c);
  CHECK(out.leftCols(3) == Mat::Constant(2, 3, 0.1f));
  CHECK(out.rightCols(2) == images.rightCols(2));
}

TEST_CASE("a random wrong label is never the true label and is uniform over the others", "[ff]") {
  Rng rng = make_rng(7, "test.negatives");
  const int classes = 10, draws = 9000;
  for (int truth = 0; truth < classes; ++truth) {
    std::vector<int> count(classes, 0);
    for (int i = 0; i < draws; ++i) ++count[static_cast<std::size_t>(random_wrong_label(truth, classes, rng))];
    CHECK(count[static_cast<std::size_t>(truth)] == 0);
    // each other label: binomial(9000, 1/9), mean 1000, sd 31.4; 5 sd is a bound a correct sampler breaks
    // with probability ~1e-6 per label
    for (int k = 0; k < classes; ++k)
      if (k != truth) CHECK(std::abs(count[static_cast<std::size_t>(k)] - 1000) < 157);
  }
}

TEST_CASE("a hard negative follows the probabilities of the wrong labels and never the true one", "[ff]") {
  Rng rng = make_rng(7, "test.hard");
  const float probs[4] = {0.9f, 0.075f, 0.025f, 0.0f};
  std::vector<int> count(4, 0);
  const int draws = 10000;
  for (int i = 0; i < draws; ++i) ++count[static_cast<std::size_t>(sample_wrong_label(probs, 0, 4, rng))];
  CHECK(count[0] == 0);
  CHECK(count[3] == 0);
  // label 1 has 0.75 of the wrong-label mass: binomial sd 43, bound 5 sd
  CHECK(std::abs(count[1] - 7500) < 217);
  // all mass on the true label: falls back to a uniform wrong label
  const float sure[3] = {0, 1, 0};
  for (int i = 0; i < 100; ++i) CHECK(sample_wrong_label(sure, 1, 3, rng) != 1);
}

TEST_CASE("argmax_rows takes the first of equal scores", "[ff]") {
  Mat s(2, 3);
  s << 1, 3, 3, -1, -2, -0.5f;
  CHECK(argmax_rows(s) == std::vector<int>{1, 2});
}

TEST_CASE("label pixels that do not fit in the image are refused before anything is written", "[ff]") {
  LabelCoding coding;  // ten labels
  const Mat images = Mat::Constant(3, 4, 0.5f);  // 2x2 images: four pixels
  Mat out(3, 4);
  CHECK_THROWS_WITH(overlay_label(out, images, 1, coding), Catch::Contains("10 label pixels do not fit"));
  CHECK_THROWS_WITH(overlay_neutral(out, images, coding), Catch::Contains("do not fit"));
  CHECK_THROWS_WITH(overlay_labels(out, images, {0, 1, 2}, coding), Catch::Contains("do not fit"));
}
