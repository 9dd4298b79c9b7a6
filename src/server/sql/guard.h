// What a client's SQL may do on a pooled connection, enforced inside SQLite rather than by
// reading the SQL: an authorizer (sqlite3_set_authorizer) that refuses anything that would
// reach outside the database (ATTACH, VACUUM INTO, load_extension, file-level PRAGMAs,
// writable_schema) and every write while the connection is read-only, and a progress handler
// that interrupts a statement past the request's deadline (also inside Database::Update).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <string>

#include "cloudlite/database.h"

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

// Installs the authorizer and the progress handler of `guard` on `db`'s connection, and SQLite's
// defensive mode (the progress handler through Database::SetProgressHandler). `guard` must
// outlive the connection.
void InstallGuard(Database& db, ConnectionGuard* guard);

}  // namespace cloudlite::server::sql
