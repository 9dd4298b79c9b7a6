#include "server/http/auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <strings.h>

#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "base/base64.h"
#include "base/clock.h"

namespace cloudlite::server {
namespace {

namespace json = boost::json;

constexpr std::string_view kPemPublic = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kPemEnd = "-----END PUBLIC KEY-----";

Status Denied(std::string_view code, std::string_view why) {
  return Status::PermissionDenied(std::string(code) + ": " + std::string(why));
}
Status Invalid(std::string_view why) { return Denied("AUTH_JWT_INVALID", why); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A JWT segment: base64url without padding (RFC 7515 §2).
bool DecodeSegment(std::string_view text, std::string* out) {
  return Base64Decode(text, out, Base64Alphabet::kUrl, Base64Padding::kUnpadded);
}

// A time claim: a JSON number of seconds.
Result<double> Seconds(const json::value& v, std::string_view claim) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double() && std::isfinite(v.as_double())) return v.as_double();
  return Invalid("claim '" + std::string(claim) + "' is not a number of seconds");
}

// "ro"/"roa" -> false, "rw"/"rwa" -> true.
Result<bool> IsWriteAccess(const json::value& v) {
  if (v.is_string()) {
    const json::string& s = v.as_string();
    if (s == "ro" || s == "roa") return false;
    if (s == "rw" || s == "rwa") return true;
  }
  return Invalid("claim 'a' must be \"ro\" or \"rw\"");
}

// p: {"ro": {"ns": [...]}, "rw": {"ns": [...]}, "roa": ..., "rwa": ...}; other keys ignored.
Status GrantScopes(const json::value& p, Authorization* out) {
  if (!p.is_object()) return Invalid("claim 'p' is not an object");
  for (const auto& [key, scope] : p.as_object()) {
    const bool write = key == "rw" || key == "rwa";
    if (!write && key != "ro" && key != "roa") continue;
    if (scope.is_null()) continue;
    if (!scope.is_object()) return Invalid("claim 'p' has a scope that is not an object");
    const json::value* ns = scope.as_object().if_contains("ns");
    if (ns == nullptr || ns->is_null()) continue;
    if (!ns->is_array()) return Invalid("claim 'p' has an 'ns' that is not a list");
    for (const json::value& name : ns->as_array()) {
      if (!name.is_string()) return Invalid("claim 'p' names a database with a non-string");
      std::string db(name.as_string());
      write ? out->GrantWrite(std::move(db)) : out->GrantRead(std::move(db));
    }
  }
  return Status::Ok();
}

}  // namespace

// ---- Authorization ----

Authorization Authorization::Full() {
  Authorization a;
  a.GrantWriteAll();
  return a;
}

bool Authorization::CanWrite(std::string_view database) const {
  return write_all_ || write_.find(database) != write_.end();
}

bool Authorization::CanRead(std::string_view database) const {
  return read_all_ || CanWrite(database) || read_.find(database) != read_.end();
}

// ---- PublicKeys ----

struct PublicKeys::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

Result<PublicKeys> PublicKeys::Parse(std::string_view text) {
  PublicKeys keys;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    ++line_no;
    const std::string where = "key line " + std::to_string(line_no);
    if (line.starts_with(kPemPublic)) {
      const size_t end = text.find(kPemEnd);
      if (end == std::string_view::npos)
        return Status::InvalidArgument(where + ": PEM block has no end");
      const std::string_view block = text.substr(0, end + kPemEnd.size());
      BIO* bio = BIO_new_mem_buf(block.data(), static_cast<int>(block.size()));
      EVP_PKEY* pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
      BIO_free(bio);
      if (pkey == nullptr) return Status::InvalidArgument(where + ": unreadable PEM public key");
      auto key = std::make_shared<const Key>(pkey);
      if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
        return Status::InvalidArgument(where + ": not an Ed25519 key (EdDSA tokens need one)");
      }
      keys.keys_.push_back(std::move(key));
      for (size_t i = 0; i < block.size(); ++i) line_no += block[i] == '\n';
      text.remove_prefix(block.size());
      --line_no;  // the loop counts the block's last line again
      continue;
    }
    if (line.starts_with("-----BEGIN")) {
      return Status::InvalidArgument(
          where + (line.find("PRIVATE") != std::string_view::npos
                       ? ": a private key; give the public key (openssl pkey -pubout)"
                       : ": unsupported PEM block; expected BEGIN PUBLIC KEY"));
    }
    if (!line.empty() && line.front() != '#') {
      // sqld writes base64url; a key pasted from elsewhere may be in the standard alphabet.
      std::string raw;
      if (!(Base64Decode(line, &raw, Base64Alphabet::kUrl) || Base64Decode(line, &raw)) ||
          raw.size() != 32) {
        return Status::InvalidArgument(
            where + ": expected a PEM public key or a 32-byte Ed25519 key in base64url");
      }
      EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
          EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), 32);
      if (pkey == nullptr) return Status::InvalidArgument(where + ": not a valid Ed25519 key");
      keys.keys_.push_back(std::make_shared<const Key>(pkey));
    }
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  if (keys.keys_.empty()) return Status::InvalidArgument("no public key found");
  return keys;
}

Result<PublicKeys> PublicKeys::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read the key file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  Result<PublicKeys> keys = Parse(text.str());
  if (!keys.ok()) return keys.status().WithContext(path);
  return keys;
}

bool PublicKeys::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64) return false;
  for (const auto& key : keys_) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return false;
    const bool ok =
        EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key->pkey) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok) return true;
  }
  return false;
}

// ---- Claims ----

Result<Authorization> AuthorizationFromClaims(std::string_view payload_json, int64_t now_seconds) {
  boost::system::error_code ec;
  const json::value claims = json::parse(payload_json, ec);
  if (ec || !claims.is_object()) return Invalid("the token's claims are not a JSON object");
  const json::object& c = claims.as_object();
  if (const json::value* exp = c.if_contains("exp"); exp && !exp->is_null()) {
    CL_ASSIGN_OR_RETURN(double t, Seconds(*exp, "exp"));
    if (static_cast<double>(now_seconds) >= t)
      return Denied("AUTH_JWT_EXPIRED", "the token has expired");
  }
  if (const json::value* nbf = c.if_contains("nbf"); nbf && !nbf->is_null()) {
    CL_ASSIGN_OR_RETURN(double t, Seconds(*nbf, "nbf"));
    if (static_cast<double>(now_seconds) < t) {
      return Denied("AUTH_JWT_IMMATURE", "the token is not valid yet (nbf)");
    }
  }
  const json::value* a = c.if_contains("a");
  const json::value* id = c.if_contains("id");
  const json::value* p = c.if_contains("p");
  if (a && a->is_null()) a = nullptr;
  if (id && id->is_null()) id = nullptr;
  if (p && p->is_null()) p = nullptr;
  if (!a && !id && !p) return Authorization::Full();
  Authorization out;
  if (p) CL_RETURN_IF_ERROR(GrantScopes(*p, &out));
  bool write = true;
  if (a) {
    CL_ASSIGN_OR_RETURN(write, IsWriteAccess(*a));
  }
  if (id) {
    if (!id->is_string()) return Invalid("claim 'id' is not a database name");
    std::string db(id->as_string());
    write ? out.GrantWrite(std::move(db)) : out.GrantRead(std::move(db));
  } else if (a) {
    write ? out.GrantWriteAll() : out.GrantReadAll();
  }
  return out;
}

// ---- Authenticator ----

Authenticator::Authenticator(PublicKeys keys, const Clock& clock)
    : keys_(std::move(keys)), clock_(clock) {}

Result<Authorization> Authenticator::Authenticate(std::string_view header) const {
  header = Trim(header);
  if (header.empty()) {
    return Denied("AUTH_HEADER_NOT_FOUND", "this server needs an Authorization: Bearer token");
  }
  const size_t space = header.find(' ');
  if (space != 6 || strncasecmp(header.data(), "bearer", 6) != 0) {
    return Denied("AUTH_HEADER_MALFORMED", "expected 'Authorization: Bearer <token>'");
  }
  return VerifyToken(Trim(header.substr(space + 1)));
}

Result<Authorization> Authenticator::VerifyToken(std::string_view token) const {
  if (token.size() > kMaxTokenBytes) return Invalid("the token is too long");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Invalid("the token is not a JWT (three dot-separated parts)");
  }
  std::string header;
  std::string signature;
  if (!DecodeSegment(token.substr(0, dot1), &header) ||
      !DecodeSegment(token.substr(dot2 + 1), &signature)) {
    return Invalid("the token is not base64url");
  }
  boost::system::error_code ec;
  const json::value h = json::parse(header, ec);
  const json::value* alg = !ec && h.is_object() ? h.as_object().if_contains("alg") : nullptr;
  if (alg == nullptr || !alg->is_string() ||
      (alg->as_string() != "EdDSA" && alg->as_string() != "Ed25519")) {
    return Invalid("the token is not signed with EdDSA");
  }
  if (h.as_object().contains("crit")) return Invalid("the token has critical header extensions");
  if (!keys_.Verify(token.substr(0, dot2), signature)) {
    return Invalid("the token's signature matches none of the keys");
  }
  std::string payload;
  if (!DecodeSegment(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload)) {
    return Invalid("the token is not base64url");
  }
  return AuthorizationFromClaims(payload, clock_.NowMicros() / 1'000'000);
}

}  // namespace cloudlite::server
