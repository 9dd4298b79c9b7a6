#include "engine/writer_lease.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/random.h"
#include "format/format.h"
#include "store/forwarding_store.h"
#include "store/mem/mem_store.h"
#include "store/registry.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite::engine {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStart = 1'700'000'000'000'000;  // a plausible Unix time in µs
constexpr int64_t kSecond = 1'000'000;

uint64_t Requests(const StoreStats& s) {
  return s.get.load() + s.put.load() + s.list.load() + s.del.load();
}

// Another machine's view of `base`: off by a fixed amount.
class SkewedClock final : public Clock {
 public:
  SkewedClock(const Clock& base, int64_t skew) : base_(base), skew_(skew) {}
  int64_t NowMicros() const override { return base_.NowMicros() + skew_; }

 private:
  const Clock& base_;
  int64_t skew_;
};

// The test's time: moves only when told to, or when a lease sleeps.
struct TestTime {
  FakeClock clock{kStart};
  // Called at every sleep before the clock advances (to act while a lease waits).
  std::function<void()> on_sleep;
  std::mutex mu;
  std::deque<SkewedClock> skewed;  // a deque: the leases hold pointers into it

  int64_t now() const { return clock.NowMicros(); }
  void Advance(int64_t micros) { clock.AdvanceMicros(micros); }

  LeaseOptions Options(int64_t skew = 0) {
    LeaseOptions o;
    {
      std::lock_guard lock(mu);
      o.clock = &skewed.emplace_back(clock, skew);
    }
    o.sleep = [this](std::chrono::microseconds d) {
      if (on_sleep) on_sleep();
      Advance(d.count());
    };
    return o;
  }
};

// The owner named by the lease object at `epoch`, read without faults or counting.
std::string OwnerAt(ObjectStore& store, uint64_t epoch) {
  std::string key = format::LeaseKey("db", epoch);
  Result<std::string> bytes = store.Get(key);
  if (!bytes.ok()) return "<" + bytes.status().ToString() + ">";
  Result<format::Lease> lease = format::DecodeLease(*bytes, key);
  return lease.ok() ? lease->owner : "<" + lease.status().ToString() + ">";
}

class WriterLeaseTest : public ::testing::Test {
 protected:
  WriterLeaseTest() {
    auto mem = std::make_unique<MemStore>();
    raw_ = mem.get();
    store_ = CountRequests(std::move(mem), &stats_);
  }
  std::unique_ptr<WriterLease> Lease(LeaseOptions options) {
    return std::make_unique<WriterLease>(store_, "db", std::move(options));
  }
  // Requests made by `fn`.
  template <typename Fn>
  uint64_t Cost(Fn fn) {
    uint64_t before = Requests(stats_);
    fn();
    return Requests(stats_) - before;
  }

  StoreStats stats_;
  MemStore* raw_;  // the objects, without counting
  std::shared_ptr<ObjectStore> store_;
  TestTime clock_;
};

TEST_F(WriterLeaseTest, FreeLeaseCostsTwoRequestsAndHoldingItCostsNone) {
  auto a = Lease(clock_.Options());
  EXPECT_FALSE(a->held());
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(*a->Acquire(milliseconds(0))); }), 2u);  // LIST, PutIfAbsent
  EXPECT_EQ(stats_.list.load(), 1u);
  EXPECT_EQ(a->epoch(), 1u);
  EXPECT_TRUE(a->held());
  EXPECT_EQ(OwnerAt(*raw_, 1), a->owner_id());

  // Within the first half of the duration: free.
  for (int i = 0; i < 10; i++) {
    clock_.Advance(90'000);  // 0.9 s in all
    EXPECT_EQ(Cost([&] { EXPECT_TRUE(*a->Acquire(milliseconds(0))); }), 0u);
  }
  // Less than half left: one PutIfAbsent renews it as the next epoch.
  clock_.Advance(200'000);
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(*a->Acquire(milliseconds(0))); }), 1u);
  EXPECT_EQ(a->epoch(), 2u);
  EXPECT_EQ(a->stats().renewed, 1u);
  EXPECT_EQ(a->stats().kept, 10u);

  // Release: one PutIfAbsent; releasing again costs nothing.
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(a->Release().ok()); }), 1u);
  EXPECT_FALSE(a->held());
  EXPECT_EQ(a->epoch(), 3u);
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(a->Release().ok()); }), 0u);

  // Taking the released lease again: GET of epoch 4 (absent), PutIfAbsent of it.
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(*a->Acquire(milliseconds(0))); }), 2u);
  EXPECT_EQ(a->epoch(), 4u);
  EXPECT_TRUE(a->Release().ok());

  // A newcomer learns the newest epoch first: LIST, GET of it, PutIfAbsent.
  auto b = Lease(clock_.Options());
  EXPECT_EQ(Cost([&] { EXPECT_TRUE(*b->Acquire(milliseconds(0))); }), 3u);
  EXPECT_EQ(b->epoch(), 6u);
}

TEST_F(WriterLeaseTest, SecondOwnerWaitsAndGetsItAsSoonAsItIsReleased) {
  auto a = Lease(clock_.Options());
  auto b = Lease(clock_.Options());
  ASSERT_TRUE(*a->Acquire(milliseconds(0)));
  int sleeps = 0;
  clock_.on_sleep = [&] {
    if (++sleeps == 3) {
      EXPECT_TRUE(a->Release().ok());
    }
  };
  int64_t start = clock_.now();
  Result<bool> got = b->Acquire(milliseconds(5000));
  ASSERT_OK(got);
  EXPECT_TRUE(*got);
  EXPECT_TRUE(b->held());
  EXPECT_EQ(b->epoch(), 3u);  // 1 a's, 2 a's release, 3 b's
  EXPECT_EQ(OwnerAt(*raw_, 3), b->owner_id());
  EXPECT_EQ(b->stats().waited, 3u);
  EXPECT_LT(clock_.now() - start, kSecond);  // well before a's lease would have expired
  // a now waits for b.
  clock_.on_sleep = nullptr;
  EXPECT_FALSE(*a->Acquire(milliseconds(100)));
}

TEST_F(WriterLeaseTest, ExpiredLeaseIsTakenOver) {
  auto a = Lease(clock_.Options());
  auto b = Lease(clock_.Options());
  ASSERT_TRUE(*a->Acquire(milliseconds(0)));  // and a crashes: no Release
  int64_t start = clock_.now();
  Result<bool> got = b->Acquire(milliseconds(10'000));
  ASSERT_OK(got);
  EXPECT_TRUE(*got);
  EXPECT_GE(clock_.now() - start, 2 * kSecond);         // not before the expiry
  EXPECT_LT(clock_.now() - start, 2 * kSecond + 1000);  // and woke up right at it
  EXPECT_EQ(b->epoch(), 2u);
  EXPECT_FALSE(a->held());
  EXPECT_FALSE(*a->Acquire(milliseconds(0)));
  EXPECT_EQ(a->epoch(), 2u);
}

TEST_F(WriterLeaseTest, DeadlineReportsNotAcquiredWithoutError) {
  auto a = Lease(clock_.Options());
  auto b = Lease(clock_.Options());
  ASSERT_TRUE(*a->Acquire(milliseconds(0)));
  int64_t start = clock_.now();
  Result<bool> got = b->Acquire(milliseconds(300));
  ASSERT_OK(got);
  EXPECT_FALSE(*got);
  EXPECT_FALSE(b->held());
  EXPECT_EQ(clock_.now() - start, 300'000);
  EXPECT_EQ(b->stats().timed_out, 1u);
  EXPECT_GE(b->stats().waited, 3u);  // backoff: 10, 20, 40, ... ms, jittered
  EXPECT_LE(b->stats().waited, 20u);
  // No wait at all: one look (a GET), no sleep.
  uint64_t waited = b->stats().waited;
  EXPECT_EQ(Cost([&] { EXPECT_FALSE(*b->Acquire(milliseconds(0))); }), 1u);
  EXPECT_EQ(b->stats().waited, waited);
}

TEST_F(WriterLeaseTest, HolderClockAheadCannotMakeOthersWaitMoreThanTheDuration) {
  auto a = Lease(clock_.Options(/*skew=*/3600 * kSecond));  // an hour ahead
  auto b = Lease(clock_.Options());
  ASSERT_TRUE(*a->Acquire(milliseconds(0)));
  int64_t start = clock_.now();
  EXPECT_TRUE(*b->Acquire(milliseconds(60'000)));
  EXPECT_LE(clock_.now() - start, 2 * kSecond + 1000);
}

TEST_F(WriterLeaseTest, WaiterClockAheadTakesOverEarlyWhichOnlyWastesWork) {
  // Documented behaviour: b's clock says a's lease has expired, so b takes it; a still
  // believes it holds its (older) epoch until its own clock says otherwise. Both would commit
  // by racing for the log slot, as without a lease.
  auto a = Lease(clock_.Options());
  auto b = Lease(clock_.Options(/*skew=*/5 * kSecond));
  ASSERT_TRUE(*a->Acquire(milliseconds(0)));
  EXPECT_TRUE(*b->Acquire(milliseconds(0)));
  EXPECT_EQ(b->epoch(), 2u);
  EXPECT_TRUE(a->held());
  EXPECT_EQ(a->epoch(), 1u);
  // a learns it at its renewal: the next epoch is taken, so it waits like anyone else.
  clock_.Advance(kSecond + 1);
  EXPECT_FALSE(*a->Acquire(milliseconds(0)));
  EXPECT_FALSE(a->held());
}

TEST_F(WriterLeaseTest, DamagedLeaseObjectCountsAsExpired) {
  ASSERT_TRUE(raw_->PutIfAbsent(format::LeaseKey("db", 1), "not a lease").ok());
  auto a = Lease(clock_.Options());
  EXPECT_TRUE(*a->Acquire(milliseconds(0)));
  EXPECT_EQ(a->epoch(), 2u);
  EXPECT_EQ(a->stats().damaged, 1u);
  // A lease object of the wrong epoch is damaged too.
  format::Lease wrong{7, std::string(16, 'x'), clock_.now(), clock_.now() + 100 * kSecond};
  ASSERT_TRUE(raw_->PutIfAbsent(format::LeaseKey("db", 3), format::EncodeLease(wrong)).ok());
  auto b = Lease(clock_.Options());
  EXPECT_TRUE(*b->Acquire(milliseconds(0)));
  EXPECT_EQ(b->epoch(), 4u);
  EXPECT_EQ(b->stats().damaged, 1u);
}

TEST_F(WriterLeaseTest, StoreThatKeepsFailingIsAnErrorTheCallerCanIgnore) {
  Result<Uri> uri = Uri::Parse("mem://lease-down-" + RandomHex(6) + "?faults=error:1");
  ASSERT_TRUE(uri.ok());
  auto down = OpenStore(*uri, /*create=*/true);
  ASSERT_OK(down);
  WriterLease a(std::shared_ptr<ObjectStore>(std::move(*down)), "db", clock_.Options());
  int64_t start = clock_.now();
  Result<bool> got = a.Acquire(milliseconds(10'000));
  EXPECT_TRUE(got.status().IsRetryable()) << got.status().ToString();
  EXPECT_FALSE(a.held());
  EXPECT_LT(clock_.now() - start, kSecond);  // three retries with backoff, not the whole wait
  EXPECT_TRUE(a.Release().ok());             // not held: nothing to do
}

// A store whose PutIfAbsent can be intercepted.
class HookStore final : public ForwardingStore {
 public:
  explicit HookStore(ObjectStore* inner) : ForwardingStore(*inner) {}
  std::function<std::optional<Status>(std::string_view key, std::string_view data)> hook;

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    if (hook) {
      if (std::optional<Status> s = hook(key, data)) return *s;
    }
    return ForwardingStore::PutIfAbsent(key, data);
  }
};

TEST_F(WriterLeaseTest, AmbiguousCreateIsResolvedByReadingTheOwnerBack) {
  auto hooked = std::make_shared<HookStore>(raw_);
  auto a = std::make_unique<WriterLease>(hooked, "db", clock_.Options());
  auto b = Lease(clock_.Options());
  enum class Mode { kPass, kLandButLoseTheAnswer, kAnotherOwnerFirst, kNeverAnswer };
  Mode mode = Mode::kPass;
  hooked->hook = [&](std::string_view key, std::string_view data) -> std::optional<Status> {
    switch (mode) {
      case Mode::kPass:
        return std::nullopt;
      case Mode::kLandButLoseTheAnswer:
        mode = Mode::kPass;
        EXPECT_TRUE(raw_->PutIfAbsent(key, data).ok());
        return Status::Ambiguous("timed out after sending");
      case Mode::kAnotherOwnerFirst:
        mode = Mode::kPass;
        EXPECT_TRUE(*b->Acquire(milliseconds(0)));
        return Status::Ambiguous("timed out before sending");
      case Mode::kNeverAnswer:
        (void)raw_->PutIfAbsent(key, data);
        return Status::Ambiguous("no answer");
    }
    return std::nullopt;
  };

  // The write landed but its answer was lost: the retry finds our own lease.
  mode = Mode::kLandButLoseTheAnswer;
  Result<bool> got = a->Acquire(milliseconds(0));
  ASSERT_OK(got);
  EXPECT_TRUE(*got);
  EXPECT_EQ(a->epoch(), 1u);
  ASSERT_TRUE(a->Release().ok());

  // The write did not land, and meanwhile another owner took the epoch: lost, not an error.
  mode = Mode::kAnotherOwnerFirst;
  got = a->Acquire(milliseconds(0));
  ASSERT_OK(got);
  EXPECT_FALSE(*got);
  EXPECT_EQ(b->epoch(), 3u);
  EXPECT_EQ(OwnerAt(*raw_, 3), b->owner_id());
  ASSERT_TRUE(b->Release().ok());

  // Never learned: Ambiguous, not held; as it did land, the next Acquire recognizes it.
  mode = Mode::kNeverAnswer;
  got = a->Acquire(milliseconds(0));
  EXPECT_EQ(got.status().code(), Status::Code::kAmbiguous);
  EXPECT_FALSE(a->held());
  mode = Mode::kPass;
  EXPECT_EQ(OwnerAt(*raw_, 5), a->owner_id());
  EXPECT_TRUE(*a->Acquire(milliseconds(0)));
  EXPECT_EQ(a->epoch(), 5u);
  EXPECT_FALSE(*b->Acquire(milliseconds(0)));
}

TEST_F(WriterLeaseTest, OldEpochsAreDeletedOnlyAfterTheGraceAge) {
  LeaseOptions options = clock_.Options();
  auto a = Lease(options);
  auto b = Lease(options);
  ASSERT_TRUE(*b->Acquire(milliseconds(0)));
  ASSERT_TRUE(b->Release().ok());  // b last knew epoch 2, and will not trust that for long
  for (int i = 0; i < 40; i++) {
    ASSERT_TRUE(*a->Acquire(milliseconds(0)));
    ASSERT_TRUE(a->Release().ok());
    clock_.Advance(5 * kSecond);
  }
  uint64_t newest = a->epoch();
  EXPECT_EQ(newest, 82u);
  EXPECT_GT(a->stats().collected, 0u);
  auto keys = ListAll(*raw_, format::LeasePrefix("db"));
  ASSERT_TRUE(keys.ok());
  EXPECT_LT(keys->size(), 40u) << "of " << newest;
  for (uint64_t e = newest - 8; e <= newest; e++) {
    EXPECT_TRUE(raw_->Head(format::LeaseKey("db", e)).ok()) << e;
  }
  EXPECT_FALSE(raw_->Head(format::LeaseKey("db", 3)).ok());
  // b's knowledge is old: it lists instead of probing (and re-creating) the deleted epoch 3.
  EXPECT_TRUE(*b->Acquire(milliseconds(0)));
  EXPECT_EQ(b->epoch(), newest + 1);
  EXPECT_FALSE(raw_->Head(format::LeaseKey("db", 3)).ok());
}

// kThreads writers, each with its own store from `open`, take the lease kRounds times each.
void TakeTurns(const std::function<std::shared_ptr<ObjectStore>()>& open, ObjectStore& check) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  std::mutex mu;
  std::map<uint64_t, std::string> holder_of;  // epoch -> owner
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0}, failures{0};
  std::atomic<uint64_t> waits{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      LeaseOptions options;
      options.duration = milliseconds(30'000);  // nobody waits for an expiry here
      options.poll_min = milliseconds(1);
      options.poll_max = milliseconds(4);
      WriterLease lease(open(), "db", options);
      for (int r = 0; r < kRounds; r++) {
        Result<bool> got = lease.Acquire(milliseconds(60'000));
        if (!got.ok() || !*got) {
          failures++;
          continue;
        }
        if (inside.fetch_add(1) != 0) overlaps++;
        {
          std::lock_guard<std::mutex> lock(mu);
          auto [it, fresh] = holder_of.emplace(lease.epoch(), lease.owner_id());
          if (!fresh) overlaps++;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // "the transaction"
        inside.fetch_sub(1);
        if (!lease.Release().ok()) failures++;
      }
      waits += lease.stats().waited;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(waits.load(), 0u);  // they did contend
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(holder_of.size(), size_t{kThreads * kRounds});
  for (const auto& [epoch, owner] : holder_of) EXPECT_EQ(OwnerAt(check, epoch), owner) << epoch;
}

TEST(WriterLeaseRaceTest, EightThreadsTakeTurnsOneHolderPerEpoch) {
  auto store = std::make_shared<MemStore>();
  TakeTurns([&] { return store; }, *store);
}

TEST(WriterLeaseRaceTest, EightThreadsTakeTurnsOnAFileStore) {
  std::string dir = test::MakeTempDir("cl-lease");
  auto open = [&]() -> std::shared_ptr<ObjectStore> {
    Result<Uri> uri = Uri::Parse("file://" + dir);
    EXPECT_TRUE(uri.ok());
    auto store = OpenStore(*uri, /*create=*/true);
    EXPECT_OK(store);
    return std::move(*store);
  };
  TakeTurns(open, *open());
  test::RemoveTree(dir);
}

TEST(WriterLeaseRaceTest, FaultyStoreNeverGivesOneEpochToTwoOwners) {
  for (uint64_t seed : {1, 2, 3}) {
    std::string name = "mem://lease-faults-" + RandomHex(6);
    Result<Uri> clean_uri = Uri::Parse(name);
    ASSERT_TRUE(clean_uri.ok());
    auto clean = OpenStore(*clean_uri, /*create=*/true);
    ASSERT_OK(clean);
    constexpr int kThreads = 4;
    std::mutex mu;
    std::map<uint64_t, std::set<std::string>> believers;  // epoch -> owners that held it
    std::atomic<int> acquired{0}, errors{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        Result<Uri> uri = Uri::Parse(
            name + "?faults=error:0.3,phantom:0.3&fault_seed=" + std::to_string(seed * 100 + t));
        ASSERT_TRUE(uri.ok());
        auto opened = OpenStore(*uri, /*create=*/false);
        ASSERT_OK(opened);
        LeaseOptions options;
        options.duration = milliseconds(200);
        options.poll_min = milliseconds(1);
        options.poll_max = milliseconds(5);
        WriterLease lease(std::shared_ptr<ObjectStore>(std::move(*opened)), "db", options);
        for (int r = 0; r < 25; r++) {
          Result<bool> got = lease.Acquire(milliseconds(500));
          if (!got.ok()) errors++;
          if (got.ok() && *got) {
            acquired++;
            std::lock_guard<std::mutex> lock(mu);
            believers[lease.epoch()].insert(lease.owner_id());
            EXPECT_EQ(OwnerAt(**clean, lease.epoch()), lease.owner_id()) << lease.epoch();
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          (void)lease.Release();
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_GT(acquired.load(), 0);
    for (const auto& [epoch, owners] : believers) EXPECT_EQ(owners.size(), 1u) << epoch;
    std::printf("seed %llu: %d acquired, %d errors, %zu epochs held\n",
                static_cast<unsigned long long>(seed), acquired.load(), errors.load(),
                believers.size());
  }
}

}  // namespace
}  // namespace cloudlite::engine
