// Bearer tokens as libSQL's sqld takes them, so tokens minted by libSQL tooling work unchanged:
// JWTs signed with EdDSA (Ed25519), checked against one or more public keys (several for key
// rotation), carrying
//   a   "ro" | "rw" (also "roa"/"rwa"): the access, read-write when absent;
//   id  a database name: `a` applies to that database only (without `id`, to every database);
//   p   per-database scopes: {"ro": {"ns": ["db1"]}, "rw": {"ns": ["db2"]}} ("roa"/"rwa" too);
//   exp, nbf  seconds since the epoch (both optional).
// A token with none of a, id, p grants everything (as in sqld). The SQL service asks the
// resulting Authorization "may this token read/write database X?".
//
// A token is a secret: it is never logged and no error message quotes it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "cloudlite/status.h"

namespace cloudlite::server {

class Authorization {
 public:
  static Authorization Full();  // auth disabled, or a token without scope claims
  bool CanRead(std::string_view database) const;
  bool CanWrite(std::string_view database) const;

  void GrantRead(std::string database) { read_.insert(std::move(database)); }
  void GrantWrite(std::string database) { write_.insert(std::move(database)); }
  void GrantReadAll() { read_all_ = true; }
  void GrantWriteAll() { read_all_ = write_all_ = true; }

 private:
  bool read_all_ = false;
  bool write_all_ = false;
  std::set<std::string, std::less<>> read_;
  std::set<std::string, std::less<>> write_;  // write implies read
};

// Ed25519 public keys. The text holds any number of keys, each either a PEM block
// ("-----BEGIN PUBLIC KEY-----") or a line with the raw 32-byte key in base64url (what sqld's
// --auth-jwt-key-file takes); blank lines and lines starting with '#' are skipped.
class PublicKeys {
 public:
  static Result<PublicKeys> Parse(std::string_view text);
  static Result<PublicKeys> LoadFile(const std::string& path);

  size_t size() const { return keys_.size(); }
  // True if any key verifies `signature` (64 bytes) over `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  struct Key;
  std::vector<std::shared_ptr<const Key>> keys_;
};

class Authenticator {
 public:
  static constexpr size_t kMaxTokenBytes = 8192;

  // `clock`: the time for exp/nbf; tests pass a FakeClock, which must outlive the authenticator.
  explicit Authenticator(PublicKeys keys, const Clock& clock = WallClock());

  // From an Authorization header value ("Bearer <token>"; the scheme in any case). Errors are
  // PermissionDenied with a message that starts with a code: AUTH_HEADER_NOT_FOUND,
  // AUTH_HEADER_MALFORMED, AUTH_JWT_INVALID, AUTH_JWT_EXPIRED or AUTH_JWT_IMMATURE, then ": ".
  Result<Authorization> Authenticate(std::string_view authorization_header) const;
  Result<Authorization> VerifyToken(std::string_view token) const;

 private:
  PublicKeys keys_;
  const Clock& clock_;
};

// The claims of a token whose signature is already checked: for the verifier and the fuzz target.
Result<Authorization> AuthorizationFromClaims(std::string_view payload_json, int64_t now_seconds);

}  // namespace cloudlite::server
