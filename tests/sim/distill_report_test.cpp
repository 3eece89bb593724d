#include "sim/distill_report.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace mortal;

namespace {
// A mortal_distill record of a run at variability s over `images` transfer images.
nlohmann::json distill_record(double s, int images, double teacher, double soft, double hard) {
  return {{"scenario", "mortal_distill"},
          {"config", {{"perturb", s}}},
          {"metrics",
           {{"status", "finished"},
            {"teacher_test_error", teacher},
            {"transfer", {{"images", images}}},
            {"methods", {{{"method", "soft"}, {"test_error", soft}}, {{"method", "hard"}, {"test_error", hard}}}}}}};
}
}  // namespace

TEST_CASE("a distillation report puts each method's student error against the setting the runs differ in",
          "[distill][report]") {
  // Given out of order: the lines come sorted by s.
  const std::vector<std::pair<std::string, nlohmann::json>> runs = {
      {"s1.json", distill_record(1.0, 60000, 0.1, 0.13, 0.14)},
      {"s025.json", distill_record(0.25, 60000, 0.1, 0.12, 0.125)}};
  const DistillReport by_s = distill_report(runs, DistillAxis::perturb);
  REQUIRE(by_s.methods.size() == 2);
  CHECK(by_s.methods[0].title == "soft");
  CHECK(by_s.methods[0].x == std::vector<double>{0.25, 1.0});
  CHECK(by_s.methods[0].y[0] == Approx(12.0));
  CHECK(by_s.methods[1].y[1] == Approx(14.0));
  CHECK(by_s.teacher.y == std::vector<double>{10.0, 10.0});
  const std::string table = distill_table(by_s);
  CHECK_THAT(table, Catch::Contains("0.25") && Catch::Contains("12.00%") && Catch::Contains("14.00%"));
  // Generations: the files in order; each run's teacher is the generation before.
  const DistillReport gen = distill_report(runs, DistillAxis::generation);
  CHECK(gen.methods[0].x == std::vector<double>{1, 2});
  CHECK(gen.methods[0].y[0] == Approx(13.0));
  CHECK(gen.teacher.x == std::vector<double>{0, 1});
  const DistillReport by_size = distill_report({{"a.json", distill_record(0.5, 3000, 0.1, 0.2, 0.21)}},
                                               DistillAxis::transfer);
  CHECK(by_size.methods[1].x == std::vector<double>{3000});
}

TEST_CASE("a distillation report refuses a record that is not mortal_distill's finished results, naming it",
          "[distill][report]") {
  CHECK_THROWS_WITH(distill_report({{"ff.json", {{"scenario", "ff_mnist"}}}}, DistillAxis::perturb),
                    Catch::Contains("ff.json: not the results of a mortal_distill run"));
  nlohmann::json running = distill_record(0.5, 100, 0.1, 0.2, 0.2);
  running["metrics"] = {{"status", "running"}};
  CHECK_THROWS_WITH(distill_report({{"r.json", running}}, DistillAxis::perturb),
                    Catch::Contains("r.json: the run has not finished"));
  nlohmann::json no_s = distill_record(0.5, 100, 0.1, 0.2, 0.2);
  no_s["config"].erase("perturb");
  CHECK_THROWS_WITH(distill_report({{"n.json", no_s}}, DistillAxis::perturb),
                    Catch::Contains("n.json: config has no 'perturb'"));
  CHECK_THROWS_WITH(parse_distill_axis("age"), Catch::Contains("perturb, transfer or generation"));
}
