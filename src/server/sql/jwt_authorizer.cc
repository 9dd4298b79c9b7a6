#include "server/sql/jwt_authorizer.h"

#include <string>
#include <utility>

namespace cloudlite::server::sql {

Authorizer JwtAuthorizer(std::shared_ptr<const Authenticator> authenticator) {
  return [auth = std::move(authenticator)](const Request& request, std::string_view database) {
    AuthResult out;
    Result<Authorization> granted = auth->Authenticate(request.header("authorization"));
    if (!granted.ok()) {
      // "AUTH_JWT_EXPIRED: the token expired ..." -> code and message.
      const std::string& text = granted.status().message();
      size_t sep = text.find(": ");
      out.access = Access::kDenied;
      out.status = 401;
      out.code = sep == std::string::npos ? "AUTH_JWT_INVALID" : text.substr(0, sep);
      out.message = sep == std::string::npos ? text : text.substr(sep + 2);
      return out;
    }
    if (granted->CanWrite(database)) {
      out.access = Access::kReadWrite;
    } else if (granted->CanRead(database)) {
      out.access = Access::kReadOnly;
    } else {
      out.access = Access::kDenied;
      out.status = 403;
      out.code = "AUTH_FORBIDDEN";
      out.message = "the token does not grant access to database \"" + std::string(database) + "\"";
    }
    return out;
  };
}

}  // namespace cloudlite::server::sql
