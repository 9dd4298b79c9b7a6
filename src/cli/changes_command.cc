#include "cli/changes_command.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/signals.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

std::string ValueText(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return "NULL";
  if (const auto* s = std::get_if<std::string>(&v)) return FormatJsonValue(*s);  // quoted
  return FormatCellText(v);
}

std::string KeyText(const RowChange& change, bool json) {
  std::string out;
  for (const Value& v : change.key) {
    if (!out.empty()) out += json ? "," : ", ";
    out += json ? FormatJsonValue(v) : ValueText(v);
  }
  return json ? "[" + out + "]" : "(" + out + ")";
}

// Columns by position (0-based): the feed knows no column names.
std::string ValuesText(const RowChange& change, bool json) {
  std::string out;
  for (size_t c = 0; c < change.values.size(); c++) {
    if (!change.values[c]) continue;
    if (!out.empty()) out += json ? "," : " ";
    out += json ? fmt::format("\"{}\":{}", c, FormatJsonValue(*change.values[c]))
                : fmt::format("{}={}", c, ValueText(*change.values[c]));
  }
  return json ? "{" + out + "}" : out;
}

bool IsRow(const RowChange& change) {
  return change.kind == ChangeKind::kInsert || change.kind == ChangeKind::kUpdate ||
         change.kind == ChangeKind::kDelete;
}

}  // namespace

std::string FormatChange(const RowChange& change, bool json) {
  const char* op = ChangeKindName(change.kind);
  if (json) {
    std::string out = fmt::format(R"({{"version":{},"time":{},"op":"{}")", change.version,
                                  FormatJsonValue(IsoTime(change.time_micros)), op);
    if (!change.table.empty()) out += ",\"table\":" + FormatJsonValue(change.table);
    if (IsRow(change)) {
      out += ",\"key\":" + KeyText(change, true);
      if (change.kind != ChangeKind::kDelete) out += ",\"values\":" + ValuesText(change, true);
    } else {
      out += ",\"note\":" + FormatJsonValue(change.note);
    }
    return out + "}";
  }
  std::string out = fmt::format("{} {} {}", change.version, IsoTime(change.time_micros), op);
  if (!change.table.empty()) out += " " + FormatCellText(change.table);
  if (!IsRow(change)) return out + ": " + change.note;
  out += " " + KeyText(change, false);
  if (change.kind != ChangeKind::kDelete) out += " " + ValuesText(change, false);
  return out;
}

ChangesCommand& AddChangesCommand(CLI::App& app, CommonFlags& flags) {
  static ChangesCommand command;  // CLI11 keeps pointers into it until parsing is done
  ChangesCommand& c = command;
  c.app = app.add_subcommand("changes",
                             "Print the row changes of the commits after a version, one line each");
  c.app->add_option("URI", c.uri, "Database URI")->required();
  c.app->add_option("--since", c.since, "Print the commits after this version (default 0: all)");
  c.app->add_flag("--follow", c.follow, "Keep printing new commits until SIGINT or SIGTERM");
  c.app->add_option("--poll-ms", c.poll_ms, "With --follow: look for new commits this often")
      ->capture_default_str()
      ->check(CLI::Range(10, 3'600'000));
  c.app->add_flag("--json", flags.json, "Print one JSON object per line");
  c.app->footer(
      "Lines: VERSION TIME OP TABLE (KEY) COLUMN=VALUE..., columns by position from 0; OP is "
      "insert, update, delete, or unkeyed/schema/not-recorded with a note.\n"
      "Example: cloudlite changes --since 41 --follow file:///var/dbs/app");
  return c;
}

int RunChangesCommand(const ChangesCommand& command, const CommonFlags& flags) {
  Result<std::unique_ptr<ChangeFeed>> feed = ChangeFeed::Open(command.uri, command.since);
  if (!feed.ok()) return ReportError(feed.status());
  StopOnSignal stop;
  for (;;) {
    Result<std::optional<RowChange>> change = (*feed)->Next();
    if (!change.ok()) return ReportError(change.status());
    if (*change) {
      std::fputs((FormatChange(**change, flags.json) + "\n").c_str(), stdout);
      continue;
    }
    std::fflush(stdout);
    if (!command.follow) return 0;
    // Sleep in short steps so that a signal ends the wait promptly.
    for (int waited = 0; waited < command.poll_ms && !stop.requested()->load(); waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (stop.requested()->load()) return 0;
  }
}

}  // namespace cloudlite::cli
