// The open Hrana streams of one server process, addressed by batons.
//
// A baton is base64 of (stream id, sequence number, HMAC-SHA256 of both under a key only this
// process knows): unforgeable, and single-use because the sequence number moves on every time
// the stream is handed back. A stream is taken out of the table while a request uses it, so a
// second request with the same baton is refused rather than run on the same connection at
// once. Idle streams expire (STREAM_EXPIRED); a stream that keeps a client transaction open
// too long is rolled back (TRANSACTION_TIMEOUT); both leave a tombstone for a while so the
// client gets that reason instead of "invalid baton". Streams live in memory: another process
// cannot resume them (docs/server.md, "Streams and batons").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "server/sql/errors.h"
#include "server/sql/session.h"

namespace cloudlite::server::sql {

struct StreamOptions {
  size_t max_streams = 128;
  size_t max_streams_per_client = 32;  // a client: the peer's address
  std::chrono::seconds idle_expiry{10};
  std::chrono::seconds max_transaction{30};  // a client transaction open longer is rolled back
  std::chrono::seconds tombstone_keep{300};
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

// Why a baton or a new stream was refused: the HTTP status and the body.
struct StreamRefusal {
  int status = 400;
  HranaError error;
};

class StreamTable {
 public:
  explicit StreamTable(StreamOptions options);
  ~StreamTable();

  // A stream in use by one request.
  struct Taken {
    uint64_t id = 0;
    std::string database;
    std::unique_ptr<Session> session;  // null until the caller makes one for a new stream
  };

  // The stream `baton` names, which must belong to `database`.
  std::variant<Taken, StreamRefusal> Take(std::string_view baton, std::string_view database);
  // Room for a new stream of `client` on `database` (its Session is the caller's to make).
  std::variant<Taken, StreamRefusal> Reserve(std::string_view client, std::string_view database);
  // Hands a stream back after a request: its next baton, or nullopt when it was closed (or
  // never got a session), which ends it.
  std::optional<std::string> Put(Taken taken);

  // Ends the streams that idled or kept a transaction open too long (Take and Reserve do it
  // too; the service calls it on every request so that their connections go back).
  void Expire();

  size_t open() const;

 private:
  struct Entry {
    std::unique_ptr<Session> session;  // null while a request has it
    uint64_t seq = 0;
    std::string database;
    std::string client;
    std::chrono::steady_clock::time_point last_used;
    std::optional<std::chrono::steady_clock::time_point> tx_since;
  };
  struct Tombstone {
    HranaError error;
    std::chrono::steady_clock::time_point since;
  };
  std::string Sign(uint64_t id, uint64_t seq) const;
  // Ends idle streams and overlong transactions; the sessions go to `doomed`.
  void Reap(std::vector<std::unique_ptr<Session>>* doomed);

  const StreamOptions options_;
  std::array<unsigned char, 32> key_{};
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> entries_;
  std::map<uint64_t, Tombstone> tombstones_;
};

}  // namespace cloudlite::server::sql
