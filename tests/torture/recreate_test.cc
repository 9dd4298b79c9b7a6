// Re-creation: processes keep connections open on one database name, share one disk cache
// directory and commit, while another process removes the database and creates it again, over
// and over (issue 11, item 1: an old connection used to read the old rows and commit on top of
// the new database; a disk cache served the old incarnation).
//
// Each incarnation's creator writes a random token into `marker`; every transaction reads the
// marker and tags the row it inserts with it. The property:
//  1. Every read returns the rows of one incarnation: all rows carry the marker's token.
//  2. A connection stays on the incarnation it first read: once a Database read token T, it
//     never reads another token; after the rm of T has returned, every read through a
//     connection on T fails (NotFound "was removed", or Corruption) instead of returning rows.
//  3. No acknowledged commit shows up in another incarnation (its row carries the token it
//     read, so it would break 1), and every commit acknowledged on the last incarnation is in
//     it at the end.
// Environment: CLOUDLITE_RECREATE_CYCLES (rm + create cycles, 12), CLOUDLITE_TORTURE_PROCS
// (committer processes, capped at 3 by default here), CLOUDLITE_RECREATE_ITERATIONS (a
// committer's iterations at most, 400).
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "base/random.h"
#include "cloudlite/admin.h"
#include "torture/torture.h"

namespace cloudlite::torture {
namespace {

using RecreateTorture = TortureTest;

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void Append(const std::string& path, const std::string& line) {
  std::ofstream(path, std::ios::app) << line << "\n";  // one short write: lines do not interleave
}

void SetError(WorkerReport& report, const std::string& what) {
  if (report.error[0] == '\0') std::snprintf(report.error, sizeof report.error, "%s", what.c_str());
}

Status Create(const std::string& uri, const std::string& token) {
  CL_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(uri));
  return db->Update([&](Connection& c) {
    return c.Exec(
        "CREATE TABLE marker (token TEXT); CREATE TABLE rows (token TEXT, w INTEGER, "
        "s INTEGER); INSERT INTO marker VALUES ('" +
        token + "')");
  });
}

// Reads the marker and checks every row carries it. Empty token: the schema is not there yet.
Result<std::string> ReadIncarnation(Connection& c, std::string* violation,
                                    std::set<std::pair<int64_t, int64_t>>* rows = nullptr) {
  CL_ASSIGN_OR_RETURN(Rows schema,
                      c.Query("SELECT count(*) FROM sqlite_schema WHERE name = 'marker'"));
  if (std::get<int64_t>(schema.rows.at(0).at(0)) == 0) return std::string();
  CL_ASSIGN_OR_RETURN(Rows marker, c.Query("SELECT token FROM marker"));
  if (marker.rows.size() != 1) {
    *violation = "marker has " + std::to_string(marker.rows.size()) + " rows";
    return std::string();
  }
  std::string token = std::get<std::string>(marker.rows[0][0]);
  CL_ASSIGN_OR_RETURN(Rows all, c.Query("SELECT token, w, s FROM rows"));
  for (const auto& row : all.rows) {
    if (std::get<std::string>(row[0]) != token) {
      *violation =
          "a row of incarnation " + std::get<std::string>(row[0]) + " in incarnation " + token;
    }
    if (rows) rows->emplace(std::get<int64_t>(row[1]), std::get<int64_t>(row[2]));
  }
  return token;
}

TEST_P(RecreateTorture, ConnectionsNeverReadOrWriteAnotherIncarnation) {
  const int cycles = EnvInt("CLOUDLITE_RECREATE_CYCLES", 12);
  const int committers = std::min(EnvInt("CLOUDLITE_TORTURE_PROCS", 3), 8);
  const int iterations = EnvInt("CLOUDLITE_RECREATE_ITERATIONS", 400);
  const std::string uri = place().Db("recreate");
  const std::string dir = place().scratch();
  const std::string created = dir + "/created", removed = dir + "/removed", done = dir + "/done";
  std::string first = RandomHex(8);
  ASSERT_TRUE(Create(uri, first).ok());
  Append(created, first);

  auto start = std::chrono::steady_clock::now();
  std::vector<WorkerReport> reports = RunWorkers(committers + 1, [&](int i, WorkerReport& report) {
    if (i == committers) {  // the re-creator
      for (int k = 0; k < cycles; k++) {
        std::string token = Lines(created).back();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let commits land
        Status s = RemoveDatabase(uri);
        if (!s.ok()) SetError(report, "rm: " + s.ToString());
        Append(removed, token);
        std::string next = RandomHex(8);
        Status c = Create(uri, next);
        if (!c.ok()) SetError(report, "create: " + c.ToString());
        Append(created, next);
        report.rounds++;
      }
      Append(done, "done");
      return report.error[0] ? 1 : 0;
    }
    Options options;
    options.create_if_missing = false;
    options.cache_dir = dir + "/cache";
    std::unique_ptr<Database> db;
    std::string on;  // the token this connection read first
    std::vector<std::string> acks;
    int after_done = 0;  // iterations on the last incarnation, so that it holds commits too
    for (int s = 1; s <= iterations; s++) {
      if (!Lines(done).empty() && ++after_done > 30) break;
      if (!db) {
        Result<std::unique_ptr<Database>> opened = Database::Open(uri, options);
        if (!opened.ok()) {
          report.open_retries++;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        db = std::move(opened).value();
        on.clear();
      }
      std::string token;
      report.updates++;
      Status u = db->Update([&](Connection& c) -> Status {
        std::string violation;
        CL_ASSIGN_OR_RETURN(token, ReadIncarnation(c, &violation));
        if (!violation.empty()) SetError(report, "update read: " + violation);
        if (token.empty()) return Status::Ok();
        return c.Exec("INSERT INTO rows VALUES ('" + token + "', " + std::to_string(i) + ", " +
                      std::to_string(s) + ")");
      });
      if (u.ok() && !token.empty()) {
        report.commits++;
        acks.push_back(token + " " + std::to_string(i) + " " + std::to_string(s));
        if (on.empty()) on = token;
        if (token != on) SetError(report, "a connection on " + on + " committed to " + token);
      }
      std::vector<std::string> gone = Lines(removed);  // removals complete before this View
      std::string violation;
      Status v = db->View([&](Connection& c) -> Status {
        CL_ASSIGN_OR_RETURN(token, ReadIncarnation(c, &violation));
        return Status::Ok();
      });
      if (!violation.empty()) SetError(report, "view: " + violation);
      if (v.ok() && !token.empty()) {
        if (on.empty()) on = token;
        if (token != on) SetError(report, "a connection on " + on + " read " + token);
        if (std::find(gone.begin(), gone.end(), token) != gone.end()) {
          SetError(report, "a connection read incarnation " + token + " after its rm returned");
        }
      }
      for (const Status& st : {u, v}) {
        if (st.ok()) continue;
        if (st.IsNotFound() || st.IsCorruption()) {
          db.reset();  // the incarnation is gone: open the name again, as an application would
          break;
        }
        if (!st.IsBusy() && !st.IsRetryable()) SetError(report, "unexpected " + st.ToString());
      }
    }
    std::string all;
    for (const std::string& a : acks) all += a + "\n";
    std::ofstream(dir + "/acks" + std::to_string(i)) << all;
    return report.error[0] ? 1 : 0;
  });
  double wall = SecondsSince(start);
  for (const WorkerReport& r : reports) EXPECT_STREQ(r.error, "") << "worker " << r.worker;

  // The last incarnation holds exactly its own acknowledged commits' rows, and only those.
  std::vector<std::string> tokens = Lines(created);
  ASSERT_EQ(tokens.size(), static_cast<size_t>(cycles + 1));
  std::set<std::string> known(tokens.begin(), tokens.end());
  std::set<std::pair<int64_t, int64_t>> expected;
  uint64_t acked = 0;
  for (int i = 0; i < committers; i++) {
    for (const std::string& line : Lines(dir + "/acks" + std::to_string(i))) {
      std::istringstream in(line);
      std::string token;
      int64_t w = 0, s = 0;
      in >> token >> w >> s;
      EXPECT_TRUE(known.contains(token)) << "an acknowledged commit on an unknown incarnation";
      if (token == tokens.back()) expected.emplace(w, s);
      acked++;
    }
  }
  Result<std::unique_ptr<Database>> db = Database::Open(uri);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  std::string violation;
  std::set<std::pair<int64_t, int64_t>> rows;
  Status s = (*db)->View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(std::string token, ReadIncarnation(c, &violation, &rows));
    EXPECT_EQ(token, tokens.back());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(violation, "");
  EXPECT_EQ(rows, expected) << "the last incarnation holds exactly its acknowledged commits";
  EXPECT_EQ(IntegrityCheck(**db), "ok");
  WorkerReport total = Total(reports);
  PrintSummary("recreate", place().backend(), total, wall,
               std::to_string(cycles) + " re-creations; " + std::to_string(acked) +
                   " commits acknowledged, " + std::to_string(expected.size()) +
                   " on the last incarnation");
}

CLOUDLITE_TORTURE_BACKENDS(RecreateTorture);

}  // namespace
}  // namespace cloudlite::torture
