#include "server/http/handler.h"

#include <strings.h>

#include <cctype>

namespace cloudlite::server {

std::string_view Request::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
      return h.value;
    }
  }
  return {};
}

void Response::set_header(std::string name, std::string value) {
  for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  for (Header& h : headers) {
    if (h.name == name) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("content-type", "application/json");
  return r;
}

Response Response::Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("content-type", "text/plain; charset=utf-8");
  return r;
}

}  // namespace cloudlite::server
