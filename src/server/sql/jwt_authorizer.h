// The SQL service's Authorizer for Bearer JWTs (server/http/auth.h): `cloudlite serve
// --auth-jwt-key-file` and cloudlite-lambda's CLOUDLITE_AUTH_JWT_KEY use this one.
#pragma once

#include <memory>

#include "server/http/auth.h"
#include "server/sql/service.h"

namespace cloudlite::server::sql {

// May this request read or write the database? No or a bad token: 401 with the auth code
// (AUTH_HEADER_NOT_FOUND, AUTH_JWT_INVALID, ...); a token that does not name the database: 403
// AUTH_FORBIDDEN; a read-only grant: kReadOnly (SQLite's authorizer then refuses writes).
Authorizer JwtAuthorizer(std::shared_ptr<const Authenticator> authenticator);

}  // namespace cloudlite::server::sql
