#include "sim/sweep_table.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "test_util.h"

using namespace mortal;

namespace {

std::string table_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<std::string> kTableColumns = {"point", "replica", "status"};

}  // namespace

TEST_CASE("CSV fields with commas, quotes or newlines are quoted and read back whole", "[sweep]") {
  const std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "two\nlines", ""};
  const std::string line = csv_line(fields);
  CHECK(line == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
  CHECK(csv_split(line.substr(0, line.size() - 1)) == fields);
  CHECK_THROWS(csv_split("\"open"));
}

TEST_CASE("rows are appended one line each and survive reopening", "[sweep]") {
  test::TempDir dir;
  const std::string path = dir.file("results.csv");
  {
    SweepTable t(path, kTableColumns);
    t.append({{"point", "0"}, {"replica", "0"}, {"status", "ok"}, {"metrics.x", "1.5"}});
    t.append({{"point", "0"}, {"replica", "1"}, {"status", "failed"}, {"error", "x"}});
    CHECK_THROWS_WITH(t.append({{"point", "0"}, {"replica", "1"}}), Catch::Matchers::Contains("recorded already"));
  }
  SweepTable t(path, kTableColumns);
  CHECK(t.rows().size() == 2);
  CHECK(t.has("0-1"));
  CHECK_FALSE(t.has("1-0"));
  CHECK(t.header() == std::vector<std::string>{"point", "replica", "status", "error", "metrics.x"});
  CHECK(table_text(path) == "point,replica,status,error,metrics.x\n0,0,ok,,1.5\n0,1,failed,x,\n");
}

TEST_CASE("a new metric widens the header, its columns in name order", "[sweep]") {
  test::TempDir dir;
  const std::string path = dir.file("results.csv");
  SweepTable t(path, kTableColumns);
  t.append({{"point", "0"}, {"replica", "0"}, {"status", "failed"}});
  t.append({{"point", "1"}, {"replica", "0"}, {"status", "ok"}, {"m.b", "2"}, {"m.a", "1"}});
  CHECK(table_text(path) == "point,replica,status,m.a,m.b\n0,0,failed,,\n1,0,ok,1,2\n");
}

TEST_CASE("a torn last line is dropped and its run is not done", "[sweep]") {
  test::TempDir dir;
  const std::string path = dir.file("results.csv");
  std::ofstream(path) << "point,replica,status\n0,0,ok\n1,0,o";
  SweepTable t(path, kTableColumns);
  CHECK(t.rows().size() == 1);
  CHECK_FALSE(t.has("1-0"));
  CHECK(table_text(path) == "point,replica,status\n0,0,ok\n");
  t.append({{"point", "1"}, {"replica", "0"}, {"status", "ok"}});
  CHECK(table_text(path) == "point,replica,status\n0,0,ok\n1,0,ok\n");
}

TEST_CASE("a table of another sweep is refused", "[sweep]") {
  test::TempDir dir;
  const std::string path = dir.file("results.csv");
  std::ofstream(path) << "point,replica,other\n";
  CHECK_THROWS_WITH(SweepTable(path, kTableColumns), Catch::Matchers::Contains("another sweep"));
}

TEST_CASE("a newline inside a value never breaks a row in two", "[sweep]") {
  test::TempDir dir;
  const std::string path = dir.file("results.csv");
  SweepTable t(path, kTableColumns);
  t.append({{"point", "0"}, {"replica", "0"}, {"status", "failed\nreally"}});
  CHECK(table_text(path) == "point,replica,status\n0,0,failed really\n");
}
