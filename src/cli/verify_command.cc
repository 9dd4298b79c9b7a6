// `cloudlite verify URI [--json]`: read every object the retained versions need; exit 4 when
// something is damaged or missing. Changes nothing.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cli/exit_codes.h"
#include "cli/history_commands.h"
#include "cli/progress.h"
#include "cloudlite/history.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

std::string Ranges(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::string out;
  for (const auto& [first, last] : ranges) {
    if (!out.empty()) out += ", ";
    out += first == last ? std::to_string(first) : fmt::format("{}-{}", first, last);
  }
  return out;
}

std::string VerifyText(const std::string& uri, const VerifyResult& r) {
  std::string out = fmt::format(
      "{}: versions {} to {} retained; read {} records, {} checkpoints, {} segments, {} frames "
      "({})\n",
      uri, r.oldest, r.newest, r.records, r.checkpoints, r.segments, r.frames,
      HumanBytes(static_cast<double>(r.bytes)));
  for (const VerifyProblem& p : r.problems) out += fmt::format("damaged: {}: {}\n", p.key, p.what);
  if (!r.damaged_versions.empty()) {
    out += fmt::format("versions that cannot be read intact: {}\n", Ranges(r.damaged_versions));
  }
  if (!r.unreferenced_segments.empty()) {
    out += fmt::format("{} segments no retained version references (garbage, not damage)\n",
                       r.unreferenced_segments.size());
  }
  out += r.problems.empty() ? "ok\n" : fmt::format("{} damaged or missing\n", r.problems.size());
  return out;
}

std::string VerifyJson(const VerifyResult& r) {
  boost::json::object o;
  o["ok"] = r.problems.empty();
  o["first_version"] = r.first_version;
  o["oldest"] = r.oldest;
  o["newest"] = r.newest;
  o["records"] = r.records;
  o["checkpoints"] = r.checkpoints;
  o["segments"] = r.segments;
  o["frames"] = r.frames;
  o["bytes"] = r.bytes;
  boost::json::array problems;
  for (const VerifyProblem& p : r.problems) {
    problems.push_back(boost::json::object{{"key", p.key}, {"what", p.what}});
  }
  o["problems"] = std::move(problems);
  boost::json::array versions;
  for (const auto& [first, last] : r.damaged_versions) {
    versions.push_back(boost::json::array{first, last});
  }
  o["damaged_versions"] = std::move(versions);
  boost::json::array garbage;
  for (const std::string& key : r.unreferenced_segments) garbage.push_back(boost::json::value(key));
  o["unreferenced_segments"] = std::move(garbage);
  return boost::json::serialize(o);
}

}  // namespace

VerifyCommand& AddVerifyCommand(CLI::App& app, CommonFlags& flags) {
  static VerifyCommand command;  // CLI11 keeps pointers into it until parsing is done
  command.app = app.add_subcommand(
      "verify",
      "Read every object the retained versions of the database at URI need, check checksums, "
      "references and the log, and report each damaged or missing key (exit 4); changes nothing");
  command.app->add_option("URI", command.uri, "Database URI")->required();
  command.app->add_flag("--json", flags.json, "Print one JSON object");
  command.app->add_flag("--stats", flags.stats,
                        "At exit, print the store request counts to stderr as one JSON line");
  command.app->footer("Example: cloudlite verify file:///var/dbs/app");
  return command;
}

int RunVerifyCommand(const VerifyCommand& command, const CommonFlags& flags) {
  auto result = VerifyDatabase(command.uri);
  if (!result.ok()) return ReportError(result.status());
  fmt::print("{}", flags.json ? VerifyJson(*result) + "\n" : VerifyText(command.uri, *result));
  if (result->problems.empty()) return 0;
  return ReportError(Status::Corruption(fmt::format(
      "{} damaged or missing object(s) in {}, first {}: restore them from a backup, or restore "
      "an intact version (cloudlite restore --at)",
      result->problems.size(), command.uri, result->problems.front().key)));
}

}  // namespace cloudlite::cli
