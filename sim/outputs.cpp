#include "sim/outputs.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "core/error.h"
#include "sim/resume.h"

namespace mortal {
namespace {

namespace fs = std::filesystem;

std::string same_file_key(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

// What sits at `path`: "" when nothing or an unfinished run's record, else a description of it.
std::string finished_record(const std::string& path) {
  std::error_code ec;
  // Nothing, or something that is not a file: check_output_path says what is wrong with it.
  if (fs::is_symlink(path, ec) || !fs::is_regular_file(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("scenario")) {
    const std::string status = j.value("status", std::string("finished"));
    if (status == "running" || status == "stopped") return {};
    return fmt::format("the finished results of a {} run (seed {}, started {})", j.value("scenario", std::string("?")),
                       j.contains("seed") ? j.at("seed").dump() : "?", j.value("started_at", std::string("?")));
  }
  return text.empty() ? std::string() : "a file that is not a run's results";
}

}  // namespace

void RunOutputs::finish() const {
  if (running == results) return;
  std::error_code ec;
  fs::remove(running, ec);
}

RunOutputs prepare_outputs(const std::string& out, bool force, const std::vector<OutputFile>& files) {
  RunOutputs o;
  o.results = out;
  o.running = out;
  std::vector<OutputFile> all = {{"--out", out}};
  const std::string held = finished_record(out);
  if (!held.empty()) {
    require(force, "--out {} holds {}: choose another --out, or add --force to replace it when this run finishes",
            out, held);
    o.running = results_stem(out) + ".running.json";
    all.push_back({"--out (the record of the run so far, beside the finished one)", o.running});
  }
  all.insert(all.end(), files.begin(), files.end());
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      require(same_file_key(all[i].path) != same_file_key(all[j].path), "{} {} is the same file as {} {}: each output "
              "needs a path of its own", all[i].option, all[i].path, all[j].option, all[j].path);
  for (const OutputFile& f : all) check_output_path(f.path, f.option);
  return o;
}

std::vector<OutputFile> plot_files(const std::string& option, const std::string& stem) {
  return {{option, stem + ".png"}, {option, stem + ".csv"}, {option, stem + ".gp"}};
}

}  // namespace mortal
