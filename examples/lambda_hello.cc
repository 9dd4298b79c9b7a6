// A user's own AWS Lambda function on cloudlite: it greets people and counts the greetings in a
// database whose URI is in CLOUDLITE_DATABASE (file://, s3://bucket/prefix/name,
// dynamodb://table/name). Built and zipped by cloudlite_add_lambda (cmake/CloudliteLambda.cmake).
//
//   GET  /hello?name=Ada            -> {"hello":"Ada","visits":1,"request_id":...,"trace_id":...}
//   POST /hello  {"name":"Ada"}     -> the same; a direct invocation with {"name":"Ada"} too
//   anything else                   -> 404
//
// A request whose deadline (Lambda's, a little early) passes before or while its SQL runs is
// interrupted and answered 504, so the caller gets an answer rather than a timeout.
#include <cloudlite/database.h>
#include <cloudlite/lambda.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

namespace {

namespace json = boost::json;
using cloudlite::lambda::Request;
using cloudlite::lambda::Response;
using Clock = std::chrono::steady_clock;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The percent-decoded value of `key` in a query string, "" if absent.
std::string QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (!pair.starts_with(key) || pair.size() <= key.size() || pair[key.size()] != '=') continue;
    std::string_view raw = pair.substr(key.size() + 1);
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() && HexDigit(raw[i + 1]) >= 0 &&
          HexDigit(raw[i + 2]) >= 0) {
        value += static_cast<char>(HexDigit(raw[i + 1]) * 16 + HexDigit(raw[i + 2]));
        i += 2;
      } else {
        value += raw[i] == '+' ? ' ' : raw[i];
      }
    }
    return value;
  }
  return "";
}

// {"name": "..."} in a JSON body, "" if it is not there.
std::string NameInBody(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  const json::value* name = v.get_object().if_contains("name");
  return name != nullptr && name->is_string() ? std::string(name->get_string()) : "";
}

Response Error(int status, std::string message) {
  json::object body;
  body["message"] = std::move(message);
  return Response::Json(status, json::serialize(body));
}

class Greeter {
 public:
  explicit Greeter(std::unique_ptr<cloudlite::Database> db) : db_(std::move(db)) {}

  Response Handle(const Request& request) {
    if (request.path != "/hello") return Error(404, "no such path: try /hello?name=Ada");
    std::string name =
        request.method == "POST" ? NameInBody(request.body) : QueryParam(request.query, "name");
    if (name.empty()) return Error(400, "say who to greet: ?name=... or {\"name\": ...}");
    if (Clock::now() >= request.deadline) return Error(504, "the function's deadline passed");

    std::lock_guard<std::mutex> lock(mu_);  // a Database is one connection
    int64_t visits = 0;
    // Interrupts the SQL once the deadline passes: checked every 1000 SQLite instructions. Set
    // through the Database, so that Update keeps it while it runs.
    Clock::time_point deadline = request.deadline;
    db_->SetProgressHandler(
        1000, [](void* d) { return Clock::now() >= *static_cast<Clock::time_point*>(d) ? 1 : 0; },
        &deadline);
    cloudlite::Status s = db_->Update([&](cloudlite::Connection& c) {
      auto rows = c.Query(
          "INSERT INTO greetings (name, visits) VALUES (?1, 1) "
          "ON CONFLICT (name) DO UPDATE SET visits = visits + 1 RETURNING visits",
          {name});
      if (!rows.ok()) return rows.status();
      visits = std::get<int64_t>(rows->rows.at(0).at(0));
      return cloudlite::Status::Ok();
    });
    db_->SetProgressHandler(0, nullptr, nullptr);
    if (!s.ok()) {
      if (Clock::now() >= deadline) return Error(504, "the function's deadline passed");
      return Error(500, s.ToString());
    }

    json::object body;
    body["hello"] = name;
    body["visits"] = visits;
    const auto* invocation = cloudlite::lambda::CurrentInvocation();
    body["request_id"] = invocation != nullptr ? invocation->request_id : "";
    const char* trace = std::getenv("_X_AMZN_TRACE_ID");
    body["trace_id"] = trace != nullptr ? trace : "";
    Response response = Response::Json(200, json::serialize(body));
    response.headers.push_back({"set-cookie", "greeted=1; Path=/; HttpOnly"});
    response.headers.push_back({"set-cookie", "visits=" + std::to_string(visits) + "; Path=/"});
    return response;
  }

 private:
  std::unique_ptr<cloudlite::Database> db_;
  std::mutex mu_;
};

cloudlite::Result<cloudlite::lambda::Handler> Init() {
  const char* uri = std::getenv("CLOUDLITE_DATABASE");
  if (uri == nullptr || *uri == '\0') {
    return cloudlite::Status::InvalidArgument(
        "CLOUDLITE_DATABASE is not set: give the function a database URI (file://, s3://, "
        "dynamodb://)");
  }
  CL_ASSIGN_OR_RETURN(cloudlite::Options options, cloudlite::OptionsFromEnvironment());
  options.migrations = {{1, "create greetings", [](cloudlite::Connection& c) {
                           return c.Exec(
                               "CREATE TABLE greetings (name TEXT PRIMARY KEY, visits INTEGER)");
                         }}};
  CL_ASSIGN_OR_RETURN(auto db, cloudlite::Database::Open(uri, options));
  auto greeter = std::make_shared<Greeter>(std::move(db));
  return cloudlite::lambda::Handler(
      [greeter](const Request& request) { return greeter->Handle(request); });
}

}  // namespace

int main() {
  cloudlite::lambda::RunOptions options;
  options.direct_path = "/hello";  // a direct invocation's payload is {"name": ...}
  return cloudlite::lambda::Run(Init, options);
}
