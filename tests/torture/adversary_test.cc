// Adversary: writers commit while a StoreAdversary (src/store/fault/adversary_store.h) deletes,
// truncates, replays older versions of and swaps the database's objects and its disk cache's
// files, between their requests. Readers, Describe and Pull run all along.
//
// The workload makes every state self-checking. Writer w's s-th transaction reads the one row
// of `state` (n, h), appends the row (w, s, chain) with chain = Mix(h, w, s) and sets state to
// (n+1, chain); each run of a transaction function records the state it would produce before
// it tries to commit. So a state read anywhere is *a committed state* when its rows, in rowid
// order, recompute the chain, their count and last chain are the state row, and that (n, h) is
// one some transaction run produced (or the schema's (0, 0)), and its incarnation marker is
// this incarnation's: no rows of the incarnation the round removed first, no page of one
// version with a page of another.
//
// The property (docs/design.md, "What a damaged store can and cannot do"):
//  1. Every View, Describe, Pull, open and Update either succeeds, and then what it read is a
//     committed state, or fails with Corruption naming a key of the database, NotFound, or a
//     retryable status (Busy, Unavailable, Ambiguous). Never another status, a crash or a hang.
//  2. After the run, with the adversary stopped, the store read afresh (Pull: new caches, no
//     disk cache) is Corruption naming a key, NotFound (only if the adversary struck the store
//     at all), or a committed state that holds every acknowledged commit except those the
//     adversary destroyed. A commit acknowledged as version v was destroyed when a strike on
//     log/<v> (deleted, truncated, replaced, swapped) came after its Update began: deleting
//     the newest record destroys that commit, and a later writer may then take the slot, but
//     a strike that came before the commit began cannot excuse its loss (a writer must never
//     build a commit that drops an acknowledged one).
//  3. A connection that uses the damaged disk cache and this process's frame cache reads a
//     committed state or Corruption; it holds every acknowledged commit but those destroyed
//     as above or made after a strike on the cache (whose files cannot be told apart).
//
// Each round uses a new database (created, filled, removed and created again, so that the
// adversary has objects of another incarnation to replay) and the seed base+round. Writers and
// readers are threads (mem:// is one process's memory), so one seed does not fix the
// interleaving: a failure prints the strikes and acknowledgements needed to reproduce it by
// hand. Environment:
//   CLOUDLITE_ADVERSARY_SEEDS    rounds per backend                          (20)
//   CLOUDLITE_ADVERSARY_COMMITS  transactions per writer per round            (25)
//   CLOUDLITE_ADVERSARY_RATE     strike probability per store request         (0.01)
//   CLOUDLITE_ADVERSARY_SECONDS  no new round starts after this              (15)
//   CLOUDLITE_TORTURE_SEED       seed of round 0                              (1)
// scripts/torture.sh adversary runs many more.
#include <sqlite3.h>

#include <atomic>
#include <cinttypes>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "cloudlite/admin.h"
#include "format/format.h"
#include "store/fault/adversary_store.h"
#include "store/registry.h"
#include "torture/torture.h"
#include "vfs/vfs.h"

namespace cloudlite::torture {
namespace {

constexpr int kWriters = 3;

int64_t Mix(int64_t h, int64_t w, int64_t s) {
  uint64_t x = static_cast<uint64_t>(h) ^ (static_cast<uint64_t>(w) << 40) ^
               static_cast<uint64_t>(s) ^ 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<int64_t>(x >> 2);  // positive, so that SQLite keeps it an integer
}

// Kinds of violation this test found in session 5, named in its messages; both are fixed and
// fail the run like any other violation:
//  - kUnnamedCorruption: SQLite's "database disk image is malformed" reaches the caller as
//    Corruption naming no key (issue 11, item 8). Here it follows mixed pages, from the next.
//  - kRefilledSlot: an acknowledged commit that took a log slot the adversary had emptied
//    (the destroyed commit's frame stays in the frame cache under the same address, or its
//    checkpoint stays as ckpt/<v>): it is lost, or its pages are mixed with the destroyed
//    one's (a reader that opens from that checkpoint and catches up through a RECENT section
//    never compares the checkpoint's head with the records it skips). A state no transaction
//    produced, read in a round where a commit took a struck slot, is counted as this bug.
//    Fixed by naming record frames with a tag of their nonce and checking every checkpoint and
//    RECENT section against the record it follows (docs/format.md, "Record objects").
//    tests/unit/adversary_regression_test.cc has both reduced to their steps.
constexpr const char* kUnnamedCorruption = "unnamed-corruption (item 8)";
constexpr const char* kRefilledSlot = "refilled-slot (frame cache / checkpoint by address)";

struct Ack {
  int w = 0, s = 0;
  uint64_t version = 0;       // as the committing connection saw it
  uint64_t clock_before = 0;  // the adversary's clock when its Update began
  uint64_t clock_after = 0;   // ... and when it returned
};

// What the round's threads saw.
class History {
 public:
  void Attempted(int64_t n, int64_t h) {
    std::lock_guard lock(mu_);
    attempted_.emplace(n, h);
  }
  bool WasAttempted(int64_t n, int64_t h) const {
    std::lock_guard lock(mu_);
    return attempted_.contains({n, h});
  }
  void Acked(const Ack& ack) {
    std::lock_guard lock(mu_);
    acks_.push_back(ack);
  }
  std::vector<Ack> acks() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  void Violation(const std::string& what) {
    std::lock_guard lock(mu_);
    if (violations_.size() < 20) violations_.push_back(what);
  }
  // A violation of one of the kinds named above.
  void KnownBug(const std::string& bug, const std::string& what) { Violation(bug + ": " + what); }
  // A read that returned a state no transaction produced: a violation, unless the round turns
  // out to have taken a struck slot again (kRefilledSlot; see SettleBadStates).
  void BadState(const std::string& what) {
    std::lock_guard lock(mu_);
    bad_states_.push_back(what);
  }
  void SettleBadStates(bool refilled_slot) {
    std::vector<std::string> bad;
    {
      std::lock_guard lock(mu_);
      bad.swap(bad_states_);
    }
    for (const std::string& what : bad) {
      refilled_slot ? KnownBug(kRefilledSlot, what) : Violation(what);
    }
  }
  std::vector<std::string> violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }
  // Counts an outcome by name ("view ok", "update corruption", ...).
  void Count(const std::string& what) {
    std::lock_guard lock(mu_);
    counts_[what]++;
  }
  std::string Counts() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& [what, n] : counts_)
      out += (out.empty() ? "" : ", ") + what + " " + std::to_string(n);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::pair<int64_t, int64_t>> attempted_;
  std::vector<Ack> acks_;
  std::vector<std::string> violations_;
  std::vector<std::string> bad_states_;
  std::map<std::string, int> counts_;
};

// Why `s` is not a failure a damaged store may cause, or "" when it is.
std::string Unexpected(const Status& s, const std::string& name) {
  switch (s.code()) {
    case Status::Code::kCorruption:
      return s.message().find(name + "/") != std::string::npos ? "" : kUnnamedCorruption;
    case Status::Code::kNotFound:
    case Status::Code::kBusy:
    case Status::Code::kUnavailable:
    case Status::Code::kAmbiguous:
      return "";
    default:
      return "a status a damaged store must not cause";
  }
}

std::string_view CodeWord(const Status& s) { return s.ok() ? "ok" : CodeName(s.code()); }

struct Observed {
  bool empty = false;  // no schema: the empty database
  int64_t n = 0, h = 0;
  std::set<std::pair<int64_t, int64_t>> rows;  // (w, s)
};

// Reads the workload's state through `c`; `*violation` says why it is not a committed state.
Result<Observed> ReadState(Connection& c, const History& history, std::string* violation) {
  Observed out;
  CL_ASSIGN_OR_RETURN(Rows schema,
                      c.Query("SELECT count(*) FROM sqlite_schema WHERE name = 'state'"));
  if (std::get<int64_t>(schema.rows.at(0).at(0)) == 0) {
    out.empty = true;
    return out;
  }
  CL_ASSIGN_OR_RETURN(Rows state, c.Query("SELECT inc, n, h FROM state WHERE id = 1"));
  CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT w, s, chain FROM rows ORDER BY rowid"));
  if (state.rows.size() != 1) {
    *violation = "state has " + std::to_string(state.rows.size()) + " rows";
    return out;
  }
  const auto& st = state.rows[0];
  if (!std::holds_alternative<std::string>(st[0]) || std::get<std::string>(st[0]) != "new") {
    *violation = "the state row is not of this incarnation";
    return out;
  }
  out.n = std::get<int64_t>(st[1]);
  out.h = std::get<int64_t>(st[2]);
  int64_t chain = 0;
  for (const auto& row : rows.rows) {
    int64_t w = std::get<int64_t>(row[0]), s = std::get<int64_t>(row[1]);
    chain = Mix(chain, w, s);
    if (chain != std::get<int64_t>(row[2])) {
      *violation = "row (" + std::to_string(w) + ", " + std::to_string(s) +
                   ") does not follow the rows before it";
      return out;
    }
    out.rows.emplace(w, s);
  }
  if (static_cast<int64_t>(rows.rows.size()) != out.n || chain != out.h) {
    *violation =
        std::to_string(rows.rows.size()) + " rows, but the state row says " + std::to_string(out.n);
  } else if (!history.WasAttempted(out.n, out.h)) {
    *violation = "a state (n=" + std::to_string(out.n) + ") no transaction produced";
  }
  return out;
}

// Records an unexpected status `why` (from Unexpected) of `what`.
void Report(History& history, const std::string& what, const std::string& why, const Status& s) {
  if (why.empty()) return;
  if (why == kUnnamedCorruption) return history.KnownBug(why, what + ": " + s.ToString());
  history.Violation(what + ": " + why + ": " + s.ToString());
}

class AdversaryTorture : public TortureTest {
 protected:
  // One round; returns false when it found a violation (the caller stops).
  bool Round(int round, uint64_t seed);
};

bool AdversaryTorture::Round(int round, uint64_t seed) {
  const std::string name = "adv" + std::to_string(round);
  const std::string cache = place().scratch() + "/cache" + std::to_string(round);
  const int commits = EnvInt("CLOUDLITE_ADVERSARY_COMMITS", 25);
  const std::string rate = EnvString("CLOUDLITE_ADVERSARY_RATE", "0.01");
  const std::string plain = place().Db(name);
  const std::string uri = place().Db(name, {{"adversary", rate},
                                            {"adversary_seed", std::to_string(seed)},
                                            {"adversary_cache_dir", cache}});
  AdversaryOptions options;
  options.rate = std::stod(rate);
  options.seed = seed;
  options.cache_dir = cache;
  Result<DatabaseUri> location = DatabaseUri::Parse(plain);
  EXPECT_TRUE(location.ok());
  Result<std::unique_ptr<ObjectStore>> store = OpenStore(location->store, true);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return false;
  std::shared_ptr<StoreAdversary> adversary = ProcessAdversary((*store)->Describe(), options);
  History history;

  // Setup, watched but not struck: an incarnation to remove, then this round's.
  adversary->Pause(true);
  Options client;
  client.cache_dir = cache;
  bool setup_ok = true;
  auto setup = [&](const std::string& inc, int rows) {
    Result<std::unique_ptr<Database>> db = Database::Open(uri, client);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    setup_ok = setup_ok && db.ok();
    if (!db.ok()) return;
    Status s = (*db)->Update([&](Connection& c) -> Status {
      CL_RETURN_IF_ERROR(
          c.Exec("CREATE TABLE state (id INTEGER PRIMARY KEY, inc TEXT, n INTEGER, h INTEGER);"
                 "CREATE TABLE rows (w INTEGER, s INTEGER, chain INTEGER, pad TEXT, "
                 "PRIMARY KEY (w, s));"
                 "INSERT INTO state VALUES (1, '" +
                 inc + "', 0, 0)"));
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    setup_ok = setup_ok && s.ok();
    for (int i = 0; i < rows; i++) {
      s = (*db)->Update([&](Connection& c) {
        return c.Exec("INSERT INTO rows VALUES (9, " + std::to_string(i) +
                      ", 0, 'old'); UPDATE state SET n = n + 1");
      });
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  };
  setup("old", 5);
  Status removed = RemoveDatabase(uri);
  EXPECT_TRUE(removed.ok()) << removed.ToString();
  setup_ok = setup_ok && removed.ok();
  setup("new", 0);
  history.Attempted(0, 0);
  if (!setup_ok) return false;
  client.create_if_missing = false;  // a database the adversary destroyed is not created again
  adversary->Pause(false);

  std::atomic<int> writers_left{kWriters};
  auto writer = [&](int w) {
    std::unique_ptr<Database> db;
    int failed_opens = 0;
    for (int s = 1; s <= commits && failed_opens < 3; s++) {
      if (!db) {
        Result<std::unique_ptr<Database>> opened = Database::Open(uri, client);
        history.Count("open " + std::string(CodeWord(opened.status())));
        if (!opened.ok()) {
          std::string why = Unexpected(opened.status(), name);
          Report(history, "open", why, opened.status());
          failed_opens++;
          continue;
        }
        db = std::move(opened).value();
        failed_opens = 0;
      }
      Ack ack{w, s, 0, adversary->clock()};
      Status status = db->Update([&](Connection& c) -> Status {
        CL_ASSIGN_OR_RETURN(Rows st, c.Query("SELECT n, h FROM state WHERE id = 1"));
        int64_t n = std::get<int64_t>(st.rows.at(0).at(0)) + 1;
        int64_t h = Mix(std::get<int64_t>(st.rows.at(0).at(1)), w, s);
        history.Attempted(n, h);
        return c.Exec("INSERT INTO rows VALUES (" + std::to_string(w) + ", " + std::to_string(s) +
                      ", " + std::to_string(h) + ", hex(randomblob(64))); UPDATE state SET n = " +
                      std::to_string(n) + ", h = " + std::to_string(h) + " WHERE id = 1");
      });
      history.Count("update " + std::string(CodeWord(status)));
      if (status.ok()) {
        Result<vfs::FileInfo> info = vfs::Info(db->handle());
        ack.version = info.ok() ? info->version : 0;
        ack.clock_after = adversary->clock();
        history.Acked(ack);
        continue;
      }
      std::string why = Unexpected(status, name);
      Report(history, "update", why, status);
      if (status.IsCorruption() || status.IsNotFound()) db.reset();  // as an application would
    }
    writers_left--;
  };
  auto reader = [&] {
    std::unique_ptr<Database> db;
    const std::string pulled = place().scratch() + "/pull" + std::to_string(round) + ".db";
    for (int i = 0; i < 5000 && writers_left > 0; i++) {
      if (i % 4 == 1) {
        Result<DatabaseInfo> info = Describe(uri);
        history.Count("describe " + std::string(CodeWord(info.status())));
        std::string why = info.ok() ? "" : Unexpected(info.status(), name);
        Report(history, "describe", why, info.status());
        continue;
      }
      if (i % 8 == 2) {
        Status s = Pull(uri, pulled);
        history.Count("pull " + std::string(CodeWord(s)));
        std::string why = s.ok() ? "" : Unexpected(s, name);
        Report(history, "pull", why, s);
        if (!s.ok()) continue;
        sqlite3* file = nullptr;
        sqlite3_open_v2(pulled.c_str(), &file, SQLITE_OPEN_READONLY, nullptr);
        Connection c(file);
        std::string violation;
        Result<Observed> seen = ReadState(c, history, &violation);
        if (!seen.ok()) violation = "the pulled file does not read: " + seen.status().ToString();
        if (!violation.empty()) history.BadState("pull: " + violation);
        sqlite3_close(file);
        continue;
      }
      if (!db) {
        Result<std::unique_ptr<Database>> opened = Database::Open(uri, client);
        history.Count("open " + std::string(CodeWord(opened.status())));
        if (!opened.ok()) {
          std::string why = Unexpected(opened.status(), name);
          Report(history, "open", why, opened.status());
          continue;
        }
        db = std::move(opened).value();
      }
      std::string violation;
      Status s =
          db->View([&](Connection& c) { return ReadState(c, history, &violation).status(); });
      history.Count("view " + std::string(CodeWord(s)));
      if (!violation.empty()) history.BadState("view: " + violation);
      std::string why = s.ok() ? "" : Unexpected(s, name);
      Report(history, "view", why, s);
      if (s.IsCorruption() || s.IsNotFound()) db.reset();
    }
  };
  {
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; w++) threads.emplace_back(writer, w);
    threads.emplace_back(reader);
    for (std::thread& t : threads) t.join();
  }
  adversary->Pause(true);
  std::vector<Strike> journal = adversary->journal();
  std::vector<Ack> acks = history.acks();
  bool struck_store = false;
  auto destroyed = [&](const Ack& ack, bool or_cache) {
    const std::string key = format::LogKey(name, ack.version);
    for (const Strike& strike : journal) {
      if (strike.seq <= ack.clock_before) continue;
      if (strike.cache ? or_cache : (strike.name == key || strike.other == key)) return true;
    }
    return false;
  };
  // Whether the commit may have taken a slot the adversary emptied (kRefilledSlot): its slot
  // was struck before its Update returned, or another commit was acknowledged at its version.
  std::map<uint64_t, int> acks_at;
  for (const Ack& ack : acks) acks_at[ack.version]++;
  auto refilled = [&](const Ack& ack) {
    if (acks_at[ack.version] > 1) return true;
    const std::string key = format::LogKey(name, ack.version);
    for (const Strike& strike : journal) {
      if (strike.seq <= ack.clock_after && !strike.cache && strike.name == key) return true;
    }
    return false;
  };
  for (const Strike& strike : journal) struck_store = struck_store || !strike.cache;
  bool refilled_slot = false;
  for (const Ack& ack : acks) refilled_slot = refilled_slot || refilled(ack);

  // The final reads: the store afresh, then through the damaged caches.
  auto check_final = [&](const std::string& what, const Status& s, const Observed* seen,
                         const std::string& violation, bool or_cache) {
    history.Count(what + " " + std::string(CodeWord(s)));
    if (!s.ok()) {
      std::string why = Unexpected(s, name);
      if (s.IsNotFound() && !struck_store) why = "NotFound, but the store was not struck";
      if (s.IsBusy() || s.IsRetryable()) why = "a retryable error with no one else at work";
      Report(history, what, why, s);
      return;
    }
    if (!violation.empty()) return history.BadState(what + ": " + violation);
    if (seen->empty) return history.Violation(what + ": the schema is gone, but Ok");
    for (const Ack& ack : acks) {
      if (seen->rows.contains({ack.w, ack.s}) || destroyed(ack, or_cache)) continue;
      std::string lost = what + ": the commit (" + std::to_string(ack.w) + ", " +
                         std::to_string(ack.s) + "), acknowledged as version " +
                         std::to_string(ack.version) +
                         ", is not in the state read (n=" + std::to_string(seen->n) +
                         "), and the adversary did not destroy it";
      refilled(ack) ? history.KnownBug(kRefilledSlot, lost) : history.Violation(lost);
    }
  };
  {
    const std::string pulled = place().scratch() + "/final" + std::to_string(round) + ".db";
    Status s = Pull(plain, pulled);
    Observed seen;
    std::string violation;
    if (s.ok()) {
      sqlite3* file = nullptr;
      sqlite3_open_v2(pulled.c_str(), &file, SQLITE_OPEN_READONLY, nullptr);
      Connection c(file);
      Result<Observed> read = ReadState(c, history, &violation);
      if (read.ok()) seen = *read;
      if (!read.ok()) violation = "the pulled file does not read: " + read.status().ToString();
      sqlite3_close(file);
    }
    check_final("final pull", s, &seen, violation, false);
  }
  {
    Observed seen;
    std::string violation;
    Result<std::unique_ptr<Database>> db = Database::Open(plain, client);
    Status s = db.status();
    if (db.ok()) {
      s = (*db)->View([&](Connection& c) -> Status {
        CL_ASSIGN_OR_RETURN(seen, ReadState(c, history, &violation));
        return Status::Ok();
      });
    }
    check_final("final view", s, &seen, violation, true);
  }

  history.SettleBadStates(refilled_slot);
  std::map<Strike::Kind, int> kinds;
  int on_cache = 0;
  for (const Strike& strike : journal) {
    kinds[strike.kind]++;
    on_cache += strike.cache;
  }
  std::printf(
      "[torture] adversary %s round %d seed %" PRIu64
      ": %zu acked; strikes %zu (delete %d, truncate %d, replay %d, swap %d; %d on the cache); "
      "%s\n",
      place().backend().c_str(), round, seed, acks.size(), journal.size(),
      kinds[Strike::Kind::kDelete], kinds[Strike::Kind::kTruncate], kinds[Strike::Kind::kReplay],
      kinds[Strike::Kind::kSwap], on_cache, history.Counts().c_str());
  std::vector<std::string> violations = history.violations();
  if (violations.empty()) return true;
  std::string report;
  for (const std::string& v : violations) report += "\n  " + v;
  report += "\nstrikes:";
  for (const Strike& strike : journal) report += "\n  " + strike.ToString();
  report += "\nacknowledged (writer, seq) -> version [adversary clock when it began]:";
  for (const Ack& ack : acks) {
    report += "\n  (" + std::to_string(ack.w) + ", " + std::to_string(ack.s) + ") -> " +
              std::to_string(ack.version) + " [" + std::to_string(ack.clock_before) + "]";
  }
  ADD_FAILURE() << "round " << round << " (CLOUDLITE_TORTURE_SEED=" << seed << " "
                << place().backend() << "):" << report;
  return false;
}

TEST_P(AdversaryTorture, EveryReadIsACommittedStateOrCorruptionAndNoAckedCommitIsLost) {
  const int rounds = EnvInt("CLOUDLITE_ADVERSARY_SEEDS", 20);
  const char* seed_text = std::getenv("CLOUDLITE_TORTURE_SEED");
  const uint64_t base = seed_text && *seed_text ? std::strtoull(seed_text, nullptr, 10) : 1;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(EnvInt("CLOUDLITE_ADVERSARY_SECONDS", 15));
  auto start = std::chrono::steady_clock::now();
  int done = 0;
  int failed = 0;
  for (int r = 0; r < rounds && failed < 5 && std::chrono::steady_clock::now() < deadline;
       r++, done++) {
    failed += !Round(r, base + static_cast<uint64_t>(r));
  }
  std::printf("[torture] adversary %s: %d rounds in %.1f s\n", place().backend().c_str(), done,
              SecondsSince(start));
}

INSTANTIATE_TEST_SUITE_P(, AdversaryTorture, ::testing::Values("mem", "file", "s3"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace cloudlite::torture
