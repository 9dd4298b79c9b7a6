// Group commit through the service's Handler, from many threads on a file:// store: writes that
// queue behind a running group share one commit, each keeps its own results and failures, and
// two services on one store stay exact.
#include "server/sql/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cloudlite/admin.h"
#include "format/format.h"
#include "server/http/metrics.h"
#include "server/sql/service.h"
#include "store/registry.h"
#include "store/uri.h"
#include "testing/temp_dir.h"

namespace cloudlite::server::sql {
namespace {
namespace json = boost::json;

// A one-shot pipeline of `sqls` (each an execute), then close; `early` as a listener's.
Response OneShot(SqlService& s, const std::vector<std::string>& sqls,
                 EarlyAnswer* early = nullptr) {
  json::array requests;
  for (const std::string& sql : sqls) {
    requests.push_back(json::object{{"type", "execute"}, {"stmt", json::object{{"sql", sql}}}});
  }
  requests.push_back(json::object{{"type", "close"}});
  Request r;
  r.method = "POST";
  r.path = "/v2/pipeline";
  r.body = json::serialize(json::object{{"requests", std::move(requests)}});
  r.remote = "127.0.0.1:5000";
  r.early = early;
  return s.Handle(r);
}

// What a listener would have sent before the handler returned.
struct RecordedAnswer final : EarlyAnswer {
  void Send(const Response& r) override {
    sends++;
    sent = r;
    if (on_send) on_send(r);
  }
  std::function<void(const Response&)> on_send;
  int sends = 0;
  std::optional<Response> sent;
};

std::string VersionOf(const Response& r) {
  for (const Header& h : r.headers) {
    if (h.name == kVersionHeader) return h.value;
  }
  return "";
}

// The results of a 200 pipeline response.
json::array Results(const Response& r) {
  EXPECT_EQ(r.status, 200) << r.body;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("results")) return {};
  return v.as_object()["results"].as_array();
}

const json::object& ResultOf(const json::array& results, size_t i) {
  return results.at(i).at("response").at("result").as_object();
}

std::string CodeOf(const json::array& results, size_t i) {
  const json::object& r = results.at(i).as_object();
  if (r.at("type") == "ok") return "(ok)";
  return std::string(r.at("error").at("code").as_string());
}

int64_t IntOf(const json::value& hrana) {
  return std::stoll(std::string(hrana.at("value").as_string()));
}

// The process's store requests so far, by kind (cloudlite/admin.h).
json::object StoreRequests() { return json::parse(ProcessStoreStatsJson()).as_object(); }

int64_t Since(const json::object& before, const char* kind) {
  return StoreRequests().at(kind).to_number<int64_t>() - before.at(kind).to_number<int64_t>();
}

// Waits, a bounded number of times, for `done`.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 200000; i++) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return done();
}

// Holds the next group's leader (once armed) until released, and records group sizes.
struct LeaderLatch {
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, held = false, released = false;
  std::vector<size_t> sizes;

  void BeforeGroup(size_t n) {
    std::unique_lock lock(mu);
    sizes.push_back(n);
    if (!armed) return;
    armed = false;
    held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  }
  void Arm() {
    std::lock_guard lock(mu);
    armed = true;
  }
  bool Held() {
    std::lock_guard lock(mu);
    return held;
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
  std::vector<size_t> Sizes() {
    std::lock_guard lock(mu);
    return sizes;
  }
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::MakeTempDir("group"); }
  void TearDown() override { test::RemoveTree(dir_); }

  ServiceOptions Options(bool group_commit = true) {
    ServiceOptions o;
    o.pool.store = "file://" + dir_;
    o.create = true;
    o.metrics = &metrics_;
    o.group_commit.enabled = group_commit;
    o.group_commit.before_group = [this](size_t n) { latch_.BeforeGroup(n); };
    return o;
  }
  double Count(const char* name) { return metrics_.GetCounter(name, "")->value(); }

  // Runs `first` and then `others` as one-shot requests from threads of their own: `first` leads
  // a group and is held there until every one of `others` waits for the next group.
  std::vector<Response> HeldGroup(SqlService& s, const std::vector<std::string>& first,
                                  const std::vector<std::vector<std::string>>& others) {
    std::vector<Response> out(others.size() + 1);
    latch_.Arm();
    std::vector<std::thread> threads;
    threads.emplace_back([&] { out[0] = OneShot(s, first); });
    EXPECT_TRUE(Eventually([&] { return latch_.Held(); }));
    for (size_t i = 0; i < others.size(); i++) {
      threads.emplace_back([&, i] { out[i + 1] = OneShot(s, others[i]); });
    }
    EXPECT_TRUE(Eventually([&] { return s.writes_waiting("default") == others.size(); }));
    latch_.Release();
    for (std::thread& t : threads) t.join();
    return out;
  }

  std::string dir_;
  MetricsRegistry metrics_;
  LeaderLatch latch_;
};

TEST_F(GroupCommitTest, WritesQueuedBehindARunningGroupShareOneCommit) {
  SqlService s(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"})), 0),
            "(ok)");
  const double commits_before = Count("cloudlite_sql_commits_total");
  const double requests_before = Count("cloudlite_sql_write_requests_total");
  std::vector<std::vector<std::string>> others;
  for (int i = 1; i <= 6; i++) {
    others.push_back({"INSERT INTO t (v) VALUES ('w" + std::to_string(i) + "')"});
  }
  std::vector<Response> responses = HeldGroup(s, {"INSERT INTO t (v) VALUES ('w0')"}, others);

  // Seven requests, two commits: the held leader's, then one for the six that queued.
  EXPECT_EQ(Count("cloudlite_sql_write_requests_total") - requests_before, 7);
  EXPECT_EQ(Count("cloudlite_sql_commits_total") - commits_before, 2);
  std::vector<size_t> sizes = latch_.Sizes();
  ASSERT_GE(sizes.size(), 3u);
  EXPECT_EQ(sizes[sizes.size() - 2], 1u);
  EXPECT_EQ(sizes.back(), 6u);
  // Each request's results are its own: one row, its own rowid, and that rowid holds its value.
  std::set<int64_t> rowids;
  for (size_t i = 0; i < responses.size(); i++) {
    json::array results = Results(responses[i]);
    ASSERT_EQ(CodeOf(results, 0), "(ok)") << responses[i].body;
    const json::object& r = ResultOf(results, 0);
    EXPECT_EQ(r.at("affected_row_count"), 1);
    int64_t rowid = std::stoll(std::string(r.at("last_insert_rowid").as_string()));
    rowids.insert(rowid);
    json::array check =
        Results(OneShot(s, {"SELECT v FROM t WHERE id = " + std::to_string(rowid)}));
    EXPECT_EQ(json::serialize(ResultOf(check, 0).at("rows")),
              R"([[{"type":"text","value":"w)" + std::to_string(i) + R"("}]])");
  }
  EXPECT_EQ(rowids.size(), 7u);
  // The group's members answer with the version their commit made.
  for (size_t i = 2; i < responses.size(); i++) {
    std::string a, b;
    for (const Header& h : responses[1].headers) a = h.name == kVersionHeader ? h.value : a;
    for (const Header& h : responses[i].headers) b = h.name == kVersionHeader ? h.value : b;
    EXPECT_EQ(a, b);
    EXPECT_FALSE(a.empty());
  }
}

// A write is answered as soon as its commit record is in the store (docs/server.md, "Group
// commit"), with what the handler then returns; a failed write or a read is answered after.
TEST_F(GroupCommitTest, AWriteIsAnsweredAsSoonAsItsCommitIsDurable) {
  SqlService s(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (v TEXT)"})), 0), "(ok)");
  Result<Uri> uri = Uri::Parse("file://" + dir_);
  ASSERT_TRUE(uri.ok());
  Result<std::unique_ptr<ObjectStore>> store = OpenStore(*uri, /*create=*/false);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  RecordedAnswer early;
  bool record_there = false;
  early.on_send = [&](const Response& r) {
    const std::string key = format::LogKey("default", std::stoull(VersionOf(r)));
    record_there = (*store)->Get(key).ok();
  };
  Response answer = OneShot(s, {"INSERT INTO t VALUES ('a')"}, &early);
  ASSERT_EQ(early.sends, 1);
  EXPECT_TRUE(record_there);
  EXPECT_EQ(early.sent->status, 200);
  EXPECT_EQ(early.sent->body, answer.body);
  EXPECT_EQ(VersionOf(*early.sent), VersionOf(answer));
  EXPECT_EQ(ResultOf(Results(answer), 0).at("affected_row_count"), 1);

  RecordedAnswer failed, read;
  Response error = OneShot(s, {"INSERT INTO missing VALUES (1)"}, &failed);
  EXPECT_EQ(CodeOf(Results(error), 0), "SQLITE_ERROR");
  Response rows = OneShot(s, {"SELECT count(*) FROM t"}, &read);
  EXPECT_EQ(CodeOf(Results(rows), 0), "(ok)");
  EXPECT_EQ(failed.sends + read.sends, 0);
}

// The members of a group are answered when its commit is durable, not when its leader has
// finished the commit: the leader's own early answer waits here for the others'.
TEST_F(GroupCommitTest, AGroupsMembersAreAnsweredBeforeItsLeaderEndsTheCommit) {
  SqlService s(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (v TEXT)"})), 0), "(ok)");
  constexpr int kMembers = 5;
  std::atomic<int> answered{0};
  std::atomic<int> leaders{0};
  std::atomic<bool> others_first{false};
  std::vector<RecordedAnswer> early(kMembers);
  for (RecordedAnswer& e : early) {
    e.on_send = [&](const Response&) {
      leaders++;
      others_first = Eventually([&] { return answered == kMembers - 1; });
    };
  }
  latch_.Arm();
  std::vector<std::thread> threads;
  threads.emplace_back([&] { OneShot(s, {"INSERT INTO t VALUES ('held')"}); });
  ASSERT_TRUE(Eventually([&] { return latch_.Held(); }));
  std::vector<Response> responses(kMembers);
  for (int i = 0; i < kMembers; i++) {
    threads.emplace_back([&, i] {
      responses[i] = OneShot(s, {"INSERT INTO t VALUES ('m')"}, &early[i]);
      answered++;
    });
  }
  ASSERT_TRUE(Eventually([&] { return s.writes_waiting("default") == kMembers; }));
  latch_.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(latch_.Sizes().back(), static_cast<size_t>(kMembers));
  EXPECT_EQ(leaders, 1);
  EXPECT_TRUE(others_first);
  for (int i = 0; i < kMembers; i++) {
    EXPECT_EQ(CodeOf(Results(responses[i]), 0), "(ok)");
    EXPECT_EQ(VersionOf(responses[i]), VersionOf(responses[0]));
  }
}

TEST_F(GroupCommitTest, AFailingRequestInAGroupFailsAlone) {
  SqlService s(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                                       "INSERT INTO t VALUES (1, 'one')"})),
                   1),
            "(ok)");
  const double commits_before = Count("cloudlite_sql_commits_total");
  std::vector<Response> responses = HeldGroup(
      s, {"INSERT INTO t (v) VALUES ('leader')"},
      {
          {"INSERT INTO t (v) VALUES ('a')"},
          // A statement that fails is rolled back alone; the request goes on.
          {"INSERT INTO t VALUES (1, 'dup')", "INSERT INTO t (v) VALUES ('b')"},
          // A failure that rolls back the whole transaction fails this request alone: the
          // group runs again without it, and nothing of it is written.
          {"INSERT INTO t (v) VALUES ('c1')", "INSERT OR ROLLBACK INTO t VALUES (1, 'dup')"},
          {"INSERT INTO t (v) VALUES ('d')"},
      });
  EXPECT_EQ(CodeOf(Results(responses[1]), 0), "(ok)");
  json::array b = Results(responses[2]);
  EXPECT_EQ(CodeOf(b, 0), "SQLITE_CONSTRAINT");
  EXPECT_EQ(CodeOf(b, 1), "(ok)");
  EXPECT_EQ(responses[3].status, 400) << responses[3].body;
  EXPECT_NE(responses[3].body.find("SQLITE_CONSTRAINT"), std::string::npos) << responses[3].body;
  EXPECT_EQ(CodeOf(Results(responses[4]), 0), "(ok)");
  EXPECT_EQ(Count("cloudlite_sql_commits_total") - commits_before, 2);
  json::array rows = Results(OneShot(s, {"SELECT group_concat(v, ',') FROM (SELECT v FROM t "
                                         "ORDER BY v)"}));
  EXPECT_EQ(json::serialize(ResultOf(rows, 0).at("rows")),
            R"([[{"type":"text","value":"a,b,d,leader,one"}]])");
}

// A RETURNING statement that passes the row limit after making its changes fails as a statement:
// its changes are rolled back, on a one-shot request (with and without group commit) and inside
// a client's transaction on a stream.
TEST_F(GroupCommitTest, AReturningStatementPastTheRowLimitWritesNothing) {
  for (bool group_commit : {true, false}) {
    SCOPED_TRACE(group_commit ? "group commit" : "no group commit");
    ServiceOptions options = Options(group_commit);
    options.session.max_rows = 3;
    options.pool.store += "/" + std::to_string(group_commit);
    SqlService s(options);
    const std::string ten =
        "INSERT INTO t (x) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
        "WHERE i < 10) SELECT i FROM c RETURNING x";
    json::array one_shot =
        Results(OneShot(s, {"CREATE TABLE t (x)", ten, "INSERT INTO t VALUES (0)"}));
    EXPECT_EQ(CodeOf(one_shot, 1), "RESPONSE_TOO_LARGE");
    EXPECT_EQ(CodeOf(one_shot, 2), "(ok)");
    json::array count = Results(OneShot(s, {"SELECT count(*) FROM t"}));
    EXPECT_EQ(json::serialize(ResultOf(count, 0).at("rows")),
              R"([[{"type":"integer","value":"1"}]])");
    json::array in_tx = Results(OneShot(s, {"BEGIN", ten, "INSERT INTO t VALUES (0)", "COMMIT"}));
    EXPECT_EQ(CodeOf(in_tx, 1), "RESPONSE_TOO_LARGE");
    EXPECT_EQ(CodeOf(in_tx, 3), "(ok)");
    count = Results(OneShot(s, {"SELECT count(*) FROM t"}));
    EXPECT_EQ(json::serialize(ResultOf(count, 0).at("rows")),
              R"([[{"type":"integer","value":"2"}]])");
    // Within the limit the statement keeps its changes and returns its rows.
    json::array small = Results(OneShot(s, {"INSERT INTO t VALUES (5), (6) RETURNING x"}));
    EXPECT_EQ(ResultOf(small, 0).at("rows").as_array().size(), 2u);
  }
}

TEST_F(GroupCommitTest, TurnedOffEachWriteCommitsAlone) {
  SqlService s(Options(false));
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (x)"})), 0), "(ok)");
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(CodeOf(Results(OneShot(s, {"INSERT INTO t VALUES (1)"})), 0), "(ok)");
  }
  EXPECT_EQ(Count("cloudlite_sql_write_requests_total"), 5);
  EXPECT_EQ(Count("cloudlite_sql_commits_total"), 5);
  EXPECT_TRUE(latch_.Sizes().empty());  // no group ran
  // Reads take no part.
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"SELECT count(*) FROM t"})), 0), "(ok)");
  EXPECT_EQ(Count("cloudlite_sql_write_requests_total"), 5);
}

// A one-shot write to a database nobody else writes is one store request, the PutIfAbsent of its
// commit: no freshness probe, no look at the slot after it (docs/server.md, "Group commit").
TEST_F(GroupCommitTest, AOneShotWriteNobodyElseRacesIsOneStoreRequest) {
  SqlService s(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"CREATE TABLE t (x)"})), 0), "(ok)");
  ASSERT_EQ(CodeOf(Results(OneShot(s, {"INSERT INTO t VALUES (0)"})), 0), "(ok)");
  const json::object before = StoreRequests();
  constexpr int kWrites = 20;  // fewer than a checkpoint interval
  for (int i = 1; i <= kWrites; i++) {
    ASSERT_EQ(CodeOf(Results(OneShot(s, {"INSERT INTO t VALUES (1)"})), 0), "(ok)");
  }
  EXPECT_EQ(Since(before, "put"), kWrites);
  EXPECT_EQ(Since(before, "get"), 0);
  EXPECT_EQ(Since(before, "list"), 0);
  EXPECT_EQ(Since(before, "delete"), 0);
  EXPECT_EQ(Count("cloudlite_sql_commits_total"), kWrites + 2);
}

// Writes that skip every look at the store still lose a race to another process at their
// PutIfAbsent, and are then run again on the newer version: taking turns, two services count
// exactly, and each request reads back its own value.
TEST_F(GroupCommitTest, AOneShotWriteRacingAnotherServiceEndsCorrect) {
  SqlService a(Options()), b(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(a, {"CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)",
                                       "INSERT INTO c VALUES (1, 0)"})),
                   1),
            "(ok)");
  auto increment = [](SqlService& s) -> int64_t {
    json::array results = Results(OneShot(s, {"UPDATE c SET n = n + 1 WHERE id = 1 RETURNING n"}));
    EXPECT_EQ(CodeOf(results, 0), "(ok)") << json::serialize(results);
    return IntOf(ResultOf(results, 0).at("rows").at(0).at(0));
  };
  int64_t expected = 0;
  for (SqlService* s : {&a, &a, &b, &a, &a, &b, &b, &a}) EXPECT_EQ(increment(*s), ++expected);
  EXPECT_GE(Count("cloudlite_sql_lost_races_total"), 1);
  json::array final_n = Results(OneShot(b, {"SELECT n FROM c"}));
  EXPECT_EQ(IntOf(ResultOf(final_n, 0).at("rows").at(0).at(0)), expected);
}

// Two services (two processes' worth) on one store, each with writers on threads: every
// increment is counted once, and the value each request read back is its own.
TEST_F(GroupCommitTest, TwoServicesOnOneStoreCountExactly) {
  SqlService a(Options()), b(Options());
  ASSERT_EQ(CodeOf(Results(OneShot(a, {"CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)",
                                       "INSERT INTO c VALUES (1, 0)"})),
                   1),
            "(ok)");
  constexpr int kThreads = 4, kIncrements = 25;
  std::mutex mu;
  std::vector<int64_t> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreads; t++) {
    threads.emplace_back([&, t] {
      SqlService& s = t % 2 ? a : b;
      for (int i = 0; i < kIncrements; i++) {
        json::array results =
            Results(OneShot(s, {"UPDATE c SET n = n + 1 WHERE id = 1 RETURNING n"}));
        ASSERT_EQ(CodeOf(results, 0), "(ok)") << json::serialize(results);
        const json::object& r = ResultOf(results, 0);
        EXPECT_EQ(r.at("affected_row_count"), 1);
        std::lock_guard lock(mu);
        seen.push_back(IntOf(r.at("rows").at(0).at(0)));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const int total = 2 * kThreads * kIncrements;
  json::array final_n = Results(OneShot(b, {"SELECT n FROM c"}));
  EXPECT_EQ(IntOf(ResultOf(final_n, 0).at("rows").at(0).at(0)), total);
  std::set<int64_t> distinct(seen.begin(), seen.end());
  ASSERT_EQ(distinct.size(), static_cast<size_t>(total));
  EXPECT_EQ(*distinct.begin(), 1);
  EXPECT_EQ(*distinct.rbegin(), total);
  EXPECT_EQ(Count("cloudlite_sql_write_requests_total"), total + 1);
  EXPECT_LE(Count("cloudlite_sql_commits_total"), total + 1);
}

// The request deadline is a progress handler that Database::Update keeps: on a stream (one
// connection), a read after a write that ran in its own Update is still interrupted at its
// deadline. (The read would run for many seconds otherwise, and the test fail.)
TEST_F(GroupCommitTest, TheDeadlineHoldsOnAConnectionAfterItsUpdate) {
  SqlService s(Options());
  auto execute = [](const std::string& sql) {
    return json::object{{"type", "execute"}, {"stmt", json::object{{"sql", sql}}}};
  };
  auto post = [&](json::object body, std::chrono::milliseconds budget) {
    Request r;
    r.method = "POST";
    r.path = "/v2/pipeline";
    r.body = json::serialize(body);
    r.remote = "127.0.0.1:5000";
    r.deadline = std::chrono::steady_clock::now() + budget;
    Response out = s.Handle(r);
    EXPECT_EQ(out.status, 200) << out.body;
    boost::system::error_code ec;
    json::value v = json::parse(out.body, ec);
    return v.is_object() ? v.as_object() : json::object{};
  };
  json::object first = post({{"requests", json::array{execute("CREATE TABLE t (x)"),
                                                      execute("INSERT INTO t VALUES (1)")}}},
                            std::chrono::seconds(60));
  ASSERT_TRUE(first["baton"].is_string()) << json::serialize(first);
  EXPECT_EQ(CodeOf(first["results"].as_array(), 1), "(ok)");
  const std::string long_read =
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000000) "
      "SELECT count(*) FROM c";
  json::object read =
      post({{"baton", first["baton"]},
            {"requests", json::array{execute(long_read), json::object{{"type", "close"}}}}},
           std::chrono::milliseconds(50));
  EXPECT_EQ(CodeOf(read["results"].as_array(), 0), "SQLITE_INTERRUPT") << json::serialize(read);
}

// The group commit's connection, parked between groups, is lent to other requests last, and
// found again as the freshest.
TEST_F(GroupCommitTest, AParkedConnectionIsLentLastAndFoundAsTheFreshest) {
  PoolOptions options;
  options.store = "file://" + dir_;
  DatabasePool pool(options);
  Result<DatabasePool::Lease> a = pool.Acquire("p", /*create=*/true);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->db().Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }).ok());
  Result<DatabasePool::Lease> b = pool.Acquire("p", /*create=*/false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(
      a->db().Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (1)"); }).ok());
  Database* fresh = &a->db();
  Database* stale = &b->db();
  ASSERT_GT(fresh->version(), stale->version());
  a->Park();
  *b = DatabasePool::Lease();  // given back after the parked one
  Result<DatabasePool::Lease> next = pool.Acquire("p", false);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(&next->db(), stale);  // the parked one is lent last
  Result<DatabasePool::Lease> freshest = pool.Acquire("p", false, DatabasePool::Pick::kFreshest);
  ASSERT_TRUE(freshest.ok());
  EXPECT_EQ(&freshest->db(), fresh);
}

}  // namespace
}  // namespace cloudlite::server::sql
