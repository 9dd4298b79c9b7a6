#include "server/dynamodb/tokens.h"

namespace cloudlite::server::dynamodb {

Result<TokenState> ReadToken(Connection& c, const std::string& token, int64_t digest, int64_t now) {
  CL_ASSIGN_OR_RETURN(Rows rows,
                      c.Query("SELECT digest, at FROM request_tokens WHERE token = ?1", {token}));
  if (rows.rows.empty()) return TokenState::kNew;
  const int64_t* known = std::get_if<int64_t>(&rows.rows[0][0]);
  const int64_t* at = std::get_if<int64_t>(&rows.rows[0][1]);
  if (!known || !at) return Status::Corruption("a malformed request token row");
  if (now - *at >= kTokenMicros) return TokenState::kNew;
  return *known == digest ? TokenState::kReplay : TokenState::kMismatch;
}

Result<TokenState> CheckToken(Connection& c, const std::string& token, int64_t digest,
                              int64_t now) {
  CL_RETURN_IF_ERROR(c.Query(kTokensTable).status());
  return ReadToken(c, token, digest, now);
}

Status RecordToken(Connection& c, const std::string& token, int64_t digest, int64_t now) {
  CL_RETURN_IF_ERROR(
      c.Query("DELETE FROM request_tokens WHERE at <= ?1", {now - kTokenMicros}).status());
  return c
      .Query("INSERT OR REPLACE INTO request_tokens (token, digest, at) VALUES (?1, ?2, ?3)",
             {token, digest, now})
      .status();
}

}  // namespace cloudlite::server::dynamodb
