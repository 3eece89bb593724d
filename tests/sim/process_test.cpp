#include "sim/process.h"

#include <catch2/catch.hpp>

#include <csignal>

using namespace mortal;

TEST_CASE("a child's output, stderr and exit code come back apart", "[process]") {
  const ProcessResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.started);
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK_FALSE(r.ok());
  CHECK(r.describe() == "exit code 3");
}

TEST_CASE("a child ended by a signal is told apart from one that exits", "[process]") {
  const ProcessResult r = run_process({"sh", "-c", "kill -KILL $$"});
  CHECK(r.started);
  CHECK(r.signal == SIGKILL);
  CHECK(r.exit_code == -1);
  CHECK_THAT(r.describe(), Catch::Matchers::Contains("signal 9"));
}

TEST_CASE("arguments reach the child as they are, without a shell", "[process]") {
  const ProcessResult r = run_process({"printf", "%s|", "a b", "$HOME", "`x`;y"});
  CHECK(r.ok());
  CHECK(r.out == "a b|$HOME|`x`;y|");
}

TEST_CASE("a program that does not exist is reported as not started", "[process]") {
  const ProcessResult r = run_process({"/nonexistent/program"});
  CHECK_FALSE(r.started);
  CHECK_THAT(r.describe(), Catch::Matchers::Contains("not started"));
}

TEST_CASE("only the tail of a long output is kept", "[process]") {
  ProcessOptions o;
  o.keep_bytes = 100;
  const ProcessResult r = run_process({"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done"}, o);
  CHECK(r.ok());
  CHECK(r.out.size() == 100);
  CHECK(tail_lines(r.out, 1) == "line1999");
}

TEST_CASE("merged output keeps both streams in one capture", "[process]") {
  ProcessOptions o;
  o.merge_output = true;
  const ProcessResult r = run_process({"sh", "-c", "echo a; echo b >&2"}, o);
  CHECK(r.out == "a\nb\n");
  CHECK(r.err.empty());
}
