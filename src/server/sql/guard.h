// What a client's SQL may do on a pooled connection, enforced inside SQLite rather than by
// reading the SQL: an authorizer (sqlite3_set_authorizer) that refuses anything that would
// reach outside the database (ATTACH, VACUUM INTO, load_extension, file-level PRAGMAs,
// writable_schema) and every write while the connection is read-only, and a progress handler
// that interrupts a statement past the request's deadline.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace cloudlite::server::sql {

// Transaction control the authorizer saw while the last statement was prepared.
enum class TxControl { kNone, kBegin, kCommit, kRollback };

struct ConnectionGuard {
  // Refuse writes: the client's access is read-only, or it is in BEGIN TRANSACTION READONLY.
  bool read_only = false;
  // A progress handler call after this interrupts the statement.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::atomic<bool> deadline_passed = false;  // set when the deadline interrupted a statement
  // Filled while a statement is prepared: reset them before sqlite3_prepare.
  TxControl tx_control = TxControl::kNone;
  std::string refused;  // why the authorizer said no, "" if it did not

  void BeforePrepare() {
    tx_control = TxControl::kNone;
    refused.clear();
  }
  // As new, for the connection's next user.
  void Reset() {
    read_only = false;
    deadline = std::chrono::steady_clock::time_point::max();
    deadline_passed = false;
    BeforePrepare();
  }
};

// Installs the authorizer and the progress handler of `guard` on `db`, and SQLite's defensive
// mode. `guard` must outlive the connection.
void InstallGuard(sqlite3* db, ConnectionGuard* guard);
// The progress handler alone, again: Database::Update replaces it with its own while it runs
// (src/api/replay.cc, ChangeRecorder) and removes it afterwards.
void InstallProgressHandler(sqlite3* db, ConnectionGuard* guard);

// Interrupts (sqlite3_interrupt) a connection's running statement once its deadline passes:
// the time limit that holds while the progress handler is Update's. One thread per service.
class Watchdog {
 public:
  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Watches `db` until Disarm(id); sets guard->deadline_passed when it interrupts.
  uint64_t Arm(sqlite3* db, ConnectionGuard* guard, std::chrono::steady_clock::time_point deadline);
  // After Disarm returns, the watchdog no longer touches `db`.
  void Disarm(uint64_t id);

 private:
  struct Watch {
    sqlite3* db;
    ConnectionGuard* guard;
    std::chrono::steady_clock::time_point deadline;
  };
  void Run();

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<uint64_t, Watch> watches_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cloudlite::server::sql
