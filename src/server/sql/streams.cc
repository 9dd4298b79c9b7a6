#include "server/sql/streams.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

#include "base/base64.h"
#include "server/sql/hrana_proto.h"

namespace cloudlite::server::sql {
namespace {

constexpr size_t kPayload = 16;  // stream id and sequence number, big-endian
constexpr size_t kMac = 32;

uint64_t RandomU64() {
  uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) {
    // Without randomness an id is still unique (the table checks); the key below is what must
    // be secret.
    v = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return v;
}

void PutU64(unsigned char* out, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    out[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t GetU64(const unsigned char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | in[i];
  return v;
}

StreamRefusal Refusal(int status, std::string message, std::string code) {
  return StreamRefusal{status, HranaError{std::move(message), std::move(code)}};
}

}  // namespace

StreamTable::StreamTable(StreamOptions options) : options_(std::move(options)) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    // No baton can be trusted without a secret key: make every one fail verification.
    key_.fill(0);
    for (size_t i = 0; i < key_.size(); i += 8) {
      uint64_t r = RandomU64();
      std::memcpy(key_.data() + i, &r, 8);
    }
  }
}

StreamTable::~StreamTable() = default;

std::string StreamTable::Sign(uint64_t id, uint64_t seq) const {
  unsigned char buf[kPayload + kMac];
  PutU64(buf, id);
  PutU64(buf + 8, seq);
  unsigned int len = kMac;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), buf, kPayload, buf + kPayload,
       &len);
  return Base64Encode(std::string_view(reinterpret_cast<char*>(buf), sizeof buf),
                      Base64Alphabet::kStandard, Base64Padding::kUnpadded);
}

void StreamTable::Expire() {
  std::vector<std::unique_ptr<Session>> doomed;  // closed after the lock is released
  std::lock_guard lock(mu_);
  Reap(&doomed);
}

size_t StreamTable::open() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void StreamTable::Reap(std::vector<std::unique_ptr<Session>>* doomed) {
  auto now = options_.now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    std::optional<HranaError> why;
    if (e.session && now - e.last_used >= options_.idle_expiry) {
      why = HranaError{"the stream has expired after " +
                           std::to_string(options_.idle_expiry.count()) +
                           " s without a request; its transaction, if any, was rolled back",
                       "STREAM_EXPIRED"};
    } else if (e.session && e.tx_since && now - *e.tx_since >= options_.max_transaction) {
      why = HranaError{"the stream's transaction stayed open longer than " +
                           std::to_string(options_.max_transaction.count()) +
                           " s and was rolled back; nothing of it was written",
                       "TRANSACTION_TIMEOUT"};
    }
    if (why) {
      doomed->push_back(std::move(e.session));
      tombstones_[it->first] = Tombstone{std::move(*why), now};
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(tombstones_,
                [&](const auto& kv) { return now - kv.second.since >= options_.tombstone_keep; });
}

std::variant<StreamTable::Taken, StreamRefusal> StreamTable::Take(std::string_view baton,
                                                                  std::string_view database) {
  std::string raw;
  if (!Base64Decode(baton, &raw) || raw.size() != kPayload + kMac) {
    return Refusal(400, "the baton is not one this server issued", "BATON_INVALID");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  uint64_t id = GetU64(bytes);
  uint64_t seq = GetU64(bytes + 8);
  std::string expected = Sign(id, seq);
  std::string expected_raw;
  Base64Decode(expected, &expected_raw);
  if (CRYPTO_memcmp(expected_raw.data() + kPayload, raw.data() + kPayload, kMac) != 0) {
    return Refusal(400,
                   "the baton was not issued by this server process (forged, or from another "
                   "process: a stream lives in the process that opened it)",
                   "BATON_INVALID");
  }
  std::vector<std::unique_ptr<Session>> doomed;  // closed after the lock is released
  std::lock_guard lock(mu_);
  Reap(&doomed);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    auto t = tombstones_.find(id);
    if (t != tombstones_.end()) return StreamRefusal{400, t->second.error};
    return Refusal(400, "the stream of this baton is closed", "STREAM_CLOSED");
  }
  Entry& e = it->second;
  if (!e.session || e.seq != seq) {
    return Refusal(400, "the baton has already been used: each baton is good for one request",
                   "BATON_REUSED");
  }
  if (e.database != database) {
    return Refusal(400, "the baton belongs to database \"" + e.database + "\"", "BATON_INVALID");
  }
  Taken taken{id, e.database, std::move(e.session)};
  e.seq++;
  return taken;
}

std::variant<StreamTable::Taken, StreamRefusal> StreamTable::Reserve(std::string_view client,
                                                                     std::string_view database) {
  std::vector<std::unique_ptr<Session>> doomed;
  std::lock_guard lock(mu_);
  Reap(&doomed);
  if (entries_.size() >= options_.max_streams) {
    return Refusal(
        503,
        "the server has " + std::to_string(options_.max_streams) + " streams open: retry later",
        "STREAMS_EXHAUSTED");
  }
  size_t mine = 0;
  for (const auto& [id, e] : entries_) mine += e.client == client;
  if (mine >= options_.max_streams_per_client) {
    return Refusal(429,
                   "this client has " + std::to_string(mine) +
                       " streams open, the most one client may: close some",
                   "TOO_MANY_STREAMS");
  }
  uint64_t id = RandomU64();
  while (entries_.count(id) || tombstones_.count(id)) id = RandomU64();
  Entry e;
  e.seq = RandomU64();
  e.database = std::string(database);
  e.client = std::string(client);
  e.last_used = options_.now();
  entries_.emplace(id, std::move(e));
  return Taken{id, std::string(database), nullptr};
}

std::optional<std::string> StreamTable::Put(Taken taken) {
  std::unique_ptr<Session> doomed;
  std::lock_guard lock(mu_);
  auto it = entries_.find(taken.id);
  if (it == entries_.end()) {
    doomed = std::move(taken.session);
    return std::nullopt;
  }
  if (!taken.session || taken.session->closed()) {
    doomed = std::move(taken.session);
    entries_.erase(it);
    return std::nullopt;
  }
  Entry& e = it->second;
  auto now = options_.now();
  e.last_used = now;
  if (taken.session->is_autocommit()) {
    e.tx_since.reset();
  } else if (!e.tx_since) {
    e.tx_since = now;
  }
  e.session = std::move(taken.session);
  return Sign(taken.id, e.seq);
}

}  // namespace cloudlite::server::sql
