#include "cli/gc_command.h"

#include <charconv>
#include <cstdio>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cloudlite/gc.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// --retain takes a duration ("2h") or a count of versions ("1000").
Status ParseRetain(const std::string& text, GcSettings* settings) {
  uint64_t count = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
    if (count == 0) return Status::InvalidArgument("--retain 0: keep at least 1 version");
    settings->retain_versions = count;
    return Status::Ok();
  }
  Result<std::chrono::microseconds> duration = ParseDuration(text);
  if (!duration.ok()) {
    return Status::InvalidArgument("--retain " + text +
                                   ": use a duration (90s, 10m, 2h, 7d) or a count of versions");
  }
  settings->retain = *duration;
  return Status::Ok();
}

std::string Seconds(std::chrono::microseconds d) {
  return fmt::format("{}s", static_cast<double>(d.count()) / 1e6);
}

// One JSON string: FormatJsonStrings' array of one, without the brackets.
std::string JsonString(const std::string& text) {
  std::string array = FormatJsonStrings({text});
  return array.substr(1, array.size() - 2);
}

void PrintJson(const GcResult& r) {
  fmt::print(
      "{{\"dry_run\":{},\"retain_seconds\":{},\"retain_versions\":{},\"grace_seconds\":{},"
      "\"newest\":{},\"horizon\":{},\"nothing_because\":{},\"checkpoints\":{},\"records\":{},"
      "\"segments\":{},\"rules\":{},\"requests\":{}}}\n",
      r.dry_run, static_cast<double>(r.retain.count()) / 1e6, r.retain_versions,
      static_cast<double>(r.grace.count()) / 1e6, r.newest, r.horizon,
      JsonString(r.nothing_because), FormatJsonStrings(r.checkpoints), FormatJsonStrings(r.records),
      FormatJsonStrings(r.segments), FormatJsonStrings(r.rules), r.requests);
}

void PrintText(const std::string& uri, const GcResult& r) {
  std::string rule = r.retain.count() > 0 ? "retain " + Seconds(r.retain) : "";
  if (r.retain_versions > 0) {
    rule += (rule.empty() ? "retain " : " or ") + std::to_string(r.retain_versions) + " versions";
  }
  if (rule.empty()) rule = "retain everything";
  fmt::print("{}: {}, grace {}; newest version {}\n", uri, rule, Seconds(r.grace), r.newest);
  if (r.horizon == 0) {
    fmt::print("nothing collected: {}\n", r.nothing_because);
    return;
  }
  fmt::print("{} {} checkpoints, {} records, {} segments, {} old rules; versions from {} kept\n",
             r.dry_run ? "would delete" : "deleted", r.checkpoints.size(), r.records.size(),
             r.segments.size(), r.rules.size(), r.horizon);
}

}  // namespace

GcCommand& AddGcCommand(CLI::App& app, CommonFlags& flags) {
  // Lives as long as the process: CLI11 keeps pointers into it until parsing is done.
  static GcCommand command;
  command.app = app.add_subcommand(
      "gc", "Delete the history of the database at URI that its retention rule no longer keeps");
  command.app->add_option("URI", command.uri, "Database URI")->required();
  command.app->add_option("--retain", command.retain,
                          "Keep versions younger than DURATION (90s, 10m, 2h, 7d) or the newest "
                          "COUNT versions, instead of the stored rule");
  command.app->add_option("--grace", command.grace,
                          "Delete only what stopped being needed this long ago (default: the "
                          "stored rule's, 5m unless set)");
  command.app->add_flag("--dry-run", command.dry_run,
                        "Report what would be deleted; delete nothing");
  command.app->add_flag("--save", command.save,
                        "Store --retain and --grace as the database's rule (writers apply it)");
  command.app->add_flag("--json", flags.json, "Print one JSON object");
  command.app->add_flag("--stats", flags.stats,
                        "At exit, print the store request counts to stderr as one JSON line");
  command.app->footer(
      "The stored rule defaults to: retain 1h, grace 5m. Writers collect inline every 1024 "
      "versions.\nExample: cloudlite gc file:///var/dbs/app --retain 2h --dry-run");
  return command;
}

int RunGcCommand(const GcCommand& command, const CommonFlags& flags) {
  GcSettings settings;
  settings.dry_run = command.dry_run;
  settings.save = command.save;
  if (!command.retain.empty()) {
    Status s = ParseRetain(command.retain, &settings);
    if (!s.ok()) return ReportError(s);
  }
  if (!command.grace.empty()) {
    Result<std::chrono::microseconds> grace = ParseDuration(command.grace);
    if (!grace.ok()) return ReportError(grace.status());
    settings.grace = *grace;
  }
  Result<GcResult> result = CollectGarbage(command.uri, settings);
  if (!result.ok()) return ReportError(result.status());
  if (flags.json) {
    PrintJson(*result);
  } else {
    PrintText(command.uri, *result);
  }
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace cloudlite::cli
