// `cloudlite log URI [--since V] [--limit N] [--json]`: one line per retained version.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/history_commands.h"
#include "cli/output.h"
#include "cloudlite/history.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// "t +1 ~2 -0, u +3 ~0 -0", or "unknown" when the record carries no row changes.
std::string ChangesText(const VersionRecord& r) {
  if (!r.changes_known) return "unknown";
  std::string out;
  for (const TableChanges& t : r.changes) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} +{} ~{} -{}", t.table, t.inserted, t.updated, t.deleted);
  }
  return out.empty() ? "none" : out;
}

std::string LogText(const std::vector<VersionRecord>& records) {
  Rows rows;
  rows.columns = {"version", "time", "writer", "pages", "pages_written", "bytes_written", "rows"};
  for (const VersionRecord& r : records) {
    rows.rows.push_back({static_cast<int64_t>(r.version), IsoTime(r.time_micros),
                         r.writer.substr(0, 8), static_cast<int64_t>(r.pages),
                         static_cast<int64_t>(r.pages_written),
                         static_cast<int64_t>(r.bytes_written), ChangesText(r)});
  }
  return FormatTable(rows);
}

std::string LogJson(const std::vector<VersionRecord>& records) {
  boost::json::array out;
  for (const VersionRecord& r : records) {
    boost::json::object o;
    o["version"] = r.version;
    o["time"] = IsoTime(r.time_micros);
    o["time_micros"] = r.time_micros;
    o["writer"] = r.writer;
    o["page_size"] = r.page_size;
    o["pages"] = r.pages;
    o["pages_written"] = r.pages_written;
    o["bytes_written"] = r.bytes_written;
    if (r.changes_known) {
      boost::json::array tables;
      for (const TableChanges& t : r.changes) {
        tables.push_back(boost::json::object{{"table", t.table},
                                             {"inserted", t.inserted},
                                             {"updated", t.updated},
                                             {"deleted", t.deleted}});
      }
      o["rows"] = std::move(tables);
    } else {
      o["rows"] = nullptr;  // unknown: the record carries no row changes
    }
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

}  // namespace

LogCommand& AddLogCommand(CLI::App& app, CommonFlags& flags) {
  static LogCommand command;  // CLI11 keeps pointers into it until parsing is done
  command.app = app.add_subcommand(
      "log",
      "List the retained versions of the database at URI, newest first: time, writer, "
      "pages and bytes written, rows changed per table where known");
  command.app->add_option("URI", command.uri, "Database URI")->required();
  command.app->add_option("--since", command.since, "Only versions newer than V")->type_name("V");
  command.app->add_option("--limit", command.limit, "At most N versions (default: all)")
      ->type_name("N");
  command.app->add_flag("--json", flags.json, "Print one JSON array of objects");
  command.app->add_flag("--stats", flags.stats,
                        "At exit, print the store request counts to stderr as one JSON line");
  command.app->footer("Example: cloudlite log file:///var/dbs/app --limit 10");
  return command;
}

int RunLogCommand(const LogCommand& command, const CommonFlags& flags) {
  auto records = ReadLog(command.uri, {.since = command.since, .limit = command.limit});
  if (!records.ok()) return ReportError(records.status());
  if (flags.json) {
    fmt::print("{}\n", LogJson(*records));
  } else {
    fmt::print("{}", LogText(*records));
  }
  return 0;
}

}  // namespace cloudlite::cli
