#include "store/fault/fault_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/random.h"
#include "cloudlite/database.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

FaultOptions Spec(std::string_view text, uint64_t seed = 7) {
  Result<FaultOptions> options = ParseFaultSpec(text, seed);
  EXPECT_TRUE(options.ok()) << text << ": " << options.status().ToString();
  return options.ok() ? *options : FaultOptions{};
}

// A FaultStore over a private MemStore, keeping a pointer to the MemStore to look behind it.
struct Wrapped {
  MemStore* mem;
  std::unique_ptr<FaultStore> store;
};
Wrapped Wrap(FaultOptions options) {
  auto mem = std::make_unique<MemStore>();
  MemStore* raw = mem.get();
  return {raw, std::make_unique<FaultStore>(std::move(mem), std::move(options))};
}

TEST(FaultSpecTest, KindsApplyToTheirOperations) {
  FaultOptions o = Spec("error:0.15,phantom:0.3,lost:0.2,ambiguous:0.05,latency:2ms");
  EXPECT_EQ(o.seed, 7u);
  for (StoreOp op : {StoreOp::kGet, StoreOp::kGetRange, StoreOp::kHead, StoreOp::kList}) {
    EXPECT_EQ(o.of(op).error, 0.15);
    EXPECT_EQ(o.of(op).lost, 0.2);
    EXPECT_EQ(o.of(op).phantom, 0);
    EXPECT_EQ(o.of(op).ambiguous, 0);
    EXPECT_EQ(o.of(op).latency_min, std::chrono::milliseconds(2));
    EXPECT_EQ(o.of(op).latency_max, std::chrono::milliseconds(2));
  }
  for (StoreOp op : {StoreOp::kPut, StoreOp::kPutIfAbsent}) {
    EXPECT_EQ(o.of(op).phantom, 0.3);
    EXPECT_EQ(o.of(op).ambiguous, 0.05);
    EXPECT_EQ(o.of(op).lost, 0);
  }
  EXPECT_EQ(o.of(StoreOp::kDelete).phantom, 0.3);
  EXPECT_EQ(o.of(StoreOp::kDelete).ambiguous, 0);
}

TEST(FaultSpecTest, OperationsNarrowAnEntryAndLaterEntriesWin) {
  FaultOptions o = Spec("error:0.1,error@put_if_absent+get:0.5,latency@read:1-5ms,lost@list:1");
  EXPECT_EQ(o.of(StoreOp::kPutIfAbsent).error, 0.5);
  EXPECT_EQ(o.of(StoreOp::kGet).error, 0.5);
  EXPECT_EQ(o.of(StoreOp::kPut).error, 0.1);
  EXPECT_EQ(o.of(StoreOp::kGetRange).latency_min, std::chrono::milliseconds(1));
  EXPECT_EQ(o.of(StoreOp::kGetRange).latency_max, std::chrono::milliseconds(5));
  EXPECT_EQ(o.of(StoreOp::kPut).latency_max.count(), 0);
  EXPECT_EQ(o.of(StoreOp::kList).lost, 1);
  EXPECT_EQ(o.of(StoreOp::kGet).lost, 0);
  EXPECT_EQ(Spec("latency:500us").of(StoreOp::kGet).latency_min, std::chrono::microseconds(500));
  EXPECT_EQ(Spec("latency:1ms-1s").of(StoreOp::kGet).latency_max, std::chrono::seconds(1));
  EXPECT_EQ(Spec("latency:1.5ms").of(StoreOp::kGet).latency_min, std::chrono::microseconds(1500));
}

TEST(FaultSpecTest, BadTextIsAClearInvalidArgument) {
  struct Case {
    std::string_view spec;
    std::string_view says;
  };
  const Case cases[] = {
      {"", "empty"},
      {"error", "no ':'"},
      {"eror:0.1", "\"eror\" is not a kind of fault"},
      {"error:1.5", "\"1.5\" is not a probability from 0 to 1"},
      {"error:-0.1", "not a probability"},
      {"error:abc", "not a probability"},
      {"error:0.1x", "not a probability"},
      {"error:", "not a probability"},
      {"phantom@get:0.1", "phantom does not apply to \"get\""},
      {"lost@write:0.1", "lost does not apply to \"write\""},
      {"ambiguous@delete:0.1", "ambiguous does not apply"},
      {"error@gets:0.1", "\"gets\" is not an operation"},
      {"error@:0.1", "\"\" is not an operation"},
      {"latency:2", "is not a latency"},
      {"latency:2 ms", "is not a latency"},
      {"latency:5-1ms", "is not a latency"},
      {"latency:-5ms", "is not a latency"},
      {"latency:2h", "is not a latency"},
      {"error:0.1,,phantom:0.1", "no ':'"},
  };
  for (const Case& c : cases) {
    Result<FaultOptions> r = ParseFaultSpec(c.spec);
    ASSERT_FALSE(r.ok()) << c.spec;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << c.spec;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.spec << " -> " << r.status().message();
  }
}

TEST(FaultSpecTest, UriParamsAreTakenAndCheckedBeforeAnythingOpens) {
  Result<Uri> uri = Uri::Parse("mem://x?faults=error:0.5&fault_seed=42&other=1");
  ASSERT_TRUE(uri.ok());
  Result<std::optional<FaultOptions>> taken = TakeFaultParams(*uri);
  ASSERT_OK(taken);
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->seed, 42u);
  EXPECT_EQ((*taken)->of(StoreOp::kHead).error, 0.5);
  EXPECT_EQ(uri->params.size(), 1u);  // only the ones it understands are consumed

  Result<Uri> plain = Uri::Parse("mem://x");
  ASSERT_TRUE(plain.ok());
  Result<std::optional<FaultOptions>> none = TakeFaultParams(*plain);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  for (std::string_view text :
       {"mem://x?fault_seed=3", "mem://x?faults=error:0.5&fault_seed=-1",
        "mem://x?faults=error:0.5&fault_seed=seven", "mem://x?faults=error:2"}) {
    Result<Uri> bad = Uri::Parse(text);
    ASSERT_TRUE(bad.ok()) << text;
    Result<std::optional<FaultOptions>> r = TakeFaultParams(*bad);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << text;
  }

  // Through OpenStore: a bad spec fails before the backend creates anything.
  std::string dir = test::MakeTempDir("faults-open") + "/store";  // not there yet
  Result<Uri> file = Uri::Parse("file://" + dir + "?faults=phantom:lots");
  ASSERT_TRUE(file.ok());
  Result<std::unique_ptr<ObjectStore>> opened = OpenStore(*file, /*create=*/true);
  EXPECT_EQ(opened.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("\"lots\" is not a probability"), std::string::npos)
      << opened.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(FaultStoreTest, RatesAreRoughlyRightOverManyCalls) {
  Wrapped w = Wrap(Spec("error:0.15,phantom:0.3,lost:0.2", /*seed=*/12345));
  ASSERT_TRUE(w.mem->Put("k", "value").ok());
  constexpr int kCalls = 20000;
  int errors = 0, lost = 0, ok = 0;
  for (int i = 0; i < kCalls; i++) {
    Result<std::string> r = w.store->Get("k");
    if (r.ok()) {
      ok++;
      EXPECT_EQ(*r, "value");
    } else if (r.status().message().find("(error)") != std::string::npos) {
      errors++;
    } else if (r.status().message().find("(lost)") != std::string::npos) {
      lost++;
    }
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
    }
  }
  EXPECT_EQ(errors + lost + ok, kCalls);
  // error hits 15% of calls; lost hits 20% of the remaining 85%.
  EXPECT_NEAR(errors / double(kCalls), 0.15, 0.015);
  EXPECT_NEAR(lost / double(kCalls), 0.85 * 0.2, 0.015);

  int phantoms = 0;
  for (int i = 0; i < kCalls; i++) {
    Status s = w.store->Put("p/" + std::to_string(i), "x");
    if (s.code() == Status::Code::kAmbiguous) phantoms++;
  }
  EXPECT_NEAR(phantoms / double(kCalls), 0.85 * 0.3, 0.015);
  EXPECT_EQ(w.store->counts().phantom.load(), uint64_t(phantoms));
  EXPECT_EQ(w.store->counts().calls.load(), uint64_t(2 * kCalls));
}

TEST(FaultStoreTest, PhantomWritesReallyLandAndErrorsReallyDoNot) {
  Wrapped w = Wrap(Spec("error:0.3,phantom:0.5", /*seed=*/99));
  int phantom = 0, error = 0, ok = 0;
  for (int i = 0; i < 2000; i++) {
    std::string key = "k/" + std::to_string(i);
    Status s = i % 2 ? w.store->PutIfAbsent(key, "v" + std::to_string(i))
                     : w.store->Put(key, "v" + std::to_string(i));
    bool there = w.mem->Get(key).ok();
    if (s.ok()) {
      ok++;
      EXPECT_TRUE(there) << key;
    } else if (s.code() == Status::Code::kAmbiguous) {
      phantom++;
      EXPECT_TRUE(there) << key << ": a phantom write must land";
      EXPECT_EQ(*w.mem->Get(key), "v" + std::to_string(i));
    } else {
      error++;
      EXPECT_EQ(s.code(), Status::Code::kUnavailable);
      EXPECT_FALSE(there) << key << ": an error before the call must change nothing";
    }
  }
  EXPECT_GT(phantom, 400);
  EXPECT_GT(error, 400);
  EXPECT_GT(ok, 400);

  // A refused write stays refused: AlreadyExists is never dressed up as a phantom.
  Wrapped always = Wrap(Spec("phantom:1"));
  ASSERT_EQ(always.store->PutIfAbsent("once", "a").code(), Status::Code::kAmbiguous);
  EXPECT_EQ(always.store->PutIfAbsent("once", "b").code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(*always.mem->Get("once"), "a");
  // Delete's lost answer is Unavailable, after the delete happened.
  std::vector<std::string> keys = {"once"};
  EXPECT_EQ(always.store->Delete(keys).code(), Status::Code::kUnavailable);
  EXPECT_EQ(always.mem->Get("once").status().code(), Status::Code::kNotFound);
}

TEST(FaultStoreTest, AmbiguousBeforeTheCallDoesNotWrite) {
  Wrapped w = Wrap(Spec("ambiguous@put_if_absent:1"));
  EXPECT_EQ(w.store->PutIfAbsent("k", "v").code(), Status::Code::kAmbiguous);
  EXPECT_EQ(w.mem->Get("k").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(w.store->Put("k", "v").ok());  // put was not named
}

TEST(FaultStoreTest, LostReadsHappenedButAnswerUnavailable) {
  Wrapped w = Wrap(Spec("lost:1"));
  ASSERT_TRUE(w.mem->Put("a", "1").ok());
  EXPECT_EQ(w.store->Get("a").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(w.store->Get("missing").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(w.store->GetRange("a", 0, 1).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(w.store->Head("a").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(w.store->List("", "", 10).status().code(), Status::Code::kUnavailable);
  EXPECT_TRUE(w.store->Put("b", "2").ok());  // writes are not reads
  EXPECT_EQ(w.store->counts().lost.load(), 5u);
}

// The outcome of each of `n` mixed calls, as one string.
std::string Trace(uint64_t seed, int n) {
  Wrapped w = Wrap(Spec("error:0.2,phantom:0.3,lost:0.25,ambiguous:0.1", seed));
  std::string trace;
  for (int i = 0; i < n; i++) {
    std::string key = "k" + std::to_string(i % 50);
    Status s = i % 3 == 0   ? w.store->PutIfAbsent(key, "v")
               : i % 3 == 1 ? w.store->Get(key).status()
                            : w.store->List("k", "", 5).status();
    trace += std::to_string(static_cast<int>(s.code()));
  }
  return trace;
}

TEST(FaultStoreTest, DeterministicPerSeed) {
  EXPECT_EQ(Trace(7, 3000), Trace(7, 3000));
  EXPECT_EQ(Trace(123456789, 3000), Trace(123456789, 3000));
  EXPECT_NE(Trace(7, 3000), Trace(8, 3000));
}

TEST(FaultStoreTest, LatencyIsAddedFixedOrInARange) {
  Wrapped fixed = Wrap(Spec("latency@get:3ms"));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; i++) (void)fixed.store->Get("k");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(15));
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; i++) (void)fixed.store->Head("k");  // not named: no delay
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(15));
  EXPECT_EQ(fixed.store->counts().delayed.load(), 5u);

  Wrapped range = Wrap(Spec("latency:1-2ms"));
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; i++) (void)range.store->Get("k");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(10));
}

TEST(FaultStoreTest, ConcurrentCallsKeepTheRatesAndTheContract) {
  Wrapped w = Wrap(Spec("error:0.1,phantom:0.2", /*seed=*/5));
  constexpr int kThreads = 4, kPerThread = 2000;
  std::atomic<int> landed_ok{0}, landed_ambiguous{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        // Every thread races for the same 100 keys: exactly one creator per key.
        Status s = w.store->PutIfAbsent("race/" + std::to_string(i % 100), std::to_string(t));
        if (s.ok()) landed_ok++;
        if (s.code() == Status::Code::kAmbiguous) landed_ambiguous++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(landed_ok + landed_ambiguous, 100);
  EXPECT_EQ(w.store->counts().calls.load(), uint64_t(kThreads * kPerThread));
  EXPECT_NEAR(w.store->counts().error.load() / double(kThreads * kPerThread), 0.1, 0.02);
}

TEST(FaultStoreTest, DatabaseUriSelectsFaults) {
  // Every PutIfAbsent fails before reaching the store, so the first commit of a transaction
  // is an error that Update returns (not Busy, so not re-run), and nothing is committed.
  std::string name = "mem://fault-db-" + RandomHex(6);
  auto db = Database::Open(name + "/app");
  ASSERT_OK(db);
  ASSERT_TRUE((*db)->Update([](Connection& c) { return c.Exec("CREATE TABLE t (x)"); }).ok());
  uint64_t errors_before = ProcessFaultCounts().error.load();
  auto faulty = Database::Open(name + "/app?faults=error@put_if_absent:1&fault_seed=3");
  ASSERT_OK(faulty);
  int runs = 0;
  Status s = (*faulty)->Update([&](Connection& c) {
    runs++;
    return c.Exec("INSERT INTO t VALUES (1)");
  });
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("injected fault (error)"), std::string::npos) << s.message();
  EXPECT_EQ(runs, 1);
  // One PutIfAbsent: the rollback after the failed commit publishes nothing.
  EXPECT_EQ(ProcessFaultCounts().error.load(), errors_before + 1);
  Result<Rows> rows = Status::Internal("unset");
  ASSERT_TRUE((*db)
                  ->View([&](Connection& c) {
                    rows = c.Query("SELECT count(*) FROM t");
                    return rows.status();
                  })
                  .ok());
  EXPECT_EQ(std::get<int64_t>(rows->rows.at(0).at(0)), 0);

  // A phantom commit (it landed; the store said Ambiguous) is resolved by the engine: Ok.
  auto phantom = Database::Open(name + "/app?faults=phantom@put_if_absent:1");
  ASSERT_OK(phantom);
  EXPECT_TRUE(
      (*phantom)->Update([](Connection& c) { return c.Exec("INSERT INTO t VALUES (2)"); }).ok());
  ASSERT_TRUE((*db)
                  ->View([&](Connection& c) {
                    rows = c.Query("SELECT count(*) FROM t");
                    return rows.status();
                  })
                  .ok());
  EXPECT_EQ(std::get<int64_t>(rows->rows.at(0).at(0)), 1);
}

}  // namespace
}  // namespace cloudlite
