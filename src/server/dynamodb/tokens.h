// The ClientRequestTokens of TransactWriteItems (docs/dynamodb.md, "Transactions"): a table
// `request_tokens (token, digest, at)` written by the transaction's own commit, in its
// partition, or in the decisions database for a transaction across partitions, so that a retry
// finds its token exactly when the first attempt committed.
#pragma once

#include <cstdint>
#include <string>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

namespace cloudlite::server::dynamodb {

// How long a token makes a TransactWriteItems idempotent, as in DynamoDB.
inline constexpr int64_t kTokenMicros = int64_t{10} * 60 * 1000 * 1000;

// Creates the tokens table if it is not there.
inline constexpr const char* kTokensTable =
    "CREATE TABLE IF NOT EXISTS request_tokens (token TEXT PRIMARY KEY, digest INTEGER NOT NULL,"
    " at INTEGER NOT NULL) WITHOUT ROWID";

enum class TokenState { kNew, kReplay, kMismatch };

// The state of `token` (its request's body hashed to `digest`) at `now`, in `c`, whose tokens
// table exists: new, a replay of the same request within 10 minutes, or another request's.
Result<TokenState> ReadToken(Connection& c, const std::string& token, int64_t digest, int64_t now);

// ReadToken, creating the table first (a partition makes it on its first token).
Result<TokenState> CheckToken(Connection& c, const std::string& token, int64_t digest, int64_t now);

// Records `token` (and drops the tokens past their 10 minutes), in the transaction's commit.
Status RecordToken(Connection& c, const std::string& token, int64_t digest, int64_t now);

}  // namespace cloudlite::server::dynamodb
