#include "dynamodb_client.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "base/json_text.h"
#include "net/http_client.h"
#include "net/sigv4.h"

namespace cloudlite::ycsb {

namespace http = boost::beast::http;
using boost::asio::redirect_error;
using boost::asio::use_awaitable;
using boost::asio::ip::tcp;

std::optional<Endpoint> ParseEndpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  Endpoint e;
  e.url = std::string(url.substr(0, kScheme.size() + rest.size()));
  e.host = std::string(rest.substr(0, colon));
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  const std::string port(rest.substr(colon + 1));
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p <= 0 || p > 65535) return std::nullopt;
  e.port = static_cast<uint16_t>(p);
  boost::system::error_code ec;
  boost::asio::ip::make_address(e.host, ec);
  if (ec) return std::nullopt;
  return e;
}

namespace {

// {"NAME":{"S":"VALUE"}, ...} for the item's fields (without the braces).
void AppendStringAttributes(std::string* out, const Fields& fields) {
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(name, out);
    out->append(":{\"S\":");
    AppendJsonString(value, out);
    out->push_back('}');
  }
}

// What the benchmark reads of a 200 answer, without building its items (a Scan page is up to
// 100 records here, tens of KB: building them all cost the client a quarter of its CPU in
// workload E; a GetItem's item, a tenth in workload C): whether it has an Item, its Count and
// its LastEvaluatedKey. A SAX handler for Boost.JSON's basic_parser; LastEvaluatedKey is written
// back as JSON text. Anything but objects and strings inside it sets `unexpected` (then the
// whole answer is parsed instead).
class AnswerSummary {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;

  bool object_root = false;  // the answer is an object (else ParseAnswer reports it)
  bool has_item = false;
  int64_t count = 0;
  std::string last_evaluated_key;
  bool unexpected = false;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    if (depth_ == 0) object_root = true;
    if (depth_ == 1 && top_key_ == "LastEvaluatedKey") in_key_ = true;
    if (in_key_) {
      Separator();
      last_evaluated_key.push_back('{');
      need_comma_ = false;
    }
    depth_++;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    depth_--;
    if (in_key_) {
      last_evaluated_key.push_back('}');
      need_comma_ = true;
      if (depth_ == 1) in_key_ = false;
    }
    return true;
  }
  bool on_array_begin(error_code&) { return Other(+1); }
  bool on_array_end(std::size_t, error_code&) { return Other(-1); }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (depth_ == 1 || in_key_) part_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    if (depth_ == 1) {
      top_key_ = part_;
      top_key_.append(s.data(), s.size());
      if (top_key_ == "Item") has_item = true;
    } else if (in_key_) {
      part_.append(s.data(), s.size());
      Separator();
      AppendJsonString(part_, &last_evaluated_key);
      last_evaluated_key.push_back(':');
      need_comma_ = false;
    }
    part_.clear();
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (in_key_) part_.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code&) {
    if (in_key_) {
      part_.append(s.data(), s.size());
      Separator();
      AppendJsonString(part_, &last_evaluated_key);
      need_comma_ = true;
    }
    part_.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(int64_t i, string_view, error_code&) {
    if (depth_ == 1 && top_key_ == "Count") count = i;
    return Other(0);
  }
  bool on_uint64(uint64_t, string_view, error_code&) { return Other(0); }
  bool on_double(double, string_view, error_code&) { return Other(0); }
  bool on_bool(bool, error_code&) { return Other(0); }
  bool on_null(error_code&) { return Other(0); }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  void Separator() {
    if (need_comma_) last_evaluated_key.push_back(',');
  }
  // Any value but an object or a string: fine in the items, unexpected inside the key.
  bool Other(int depth_change) {
    depth_ += depth_change;
    if (in_key_) unexpected = true;
    return true;
  }

  int depth_ = 0;
  std::string part_;     // the key or string being assembled from its parts
  std::string top_key_;  // the top-level key whose value is being read
  bool in_key_ = false;  // inside LastEvaluatedKey's value
  bool need_comma_ = false;
};

// A 200 answer through AnswerSummary. False when the answer is not what AnswerSummary reads
// (then the caller parses it whole).
bool Summarize(Reply* reply, std::string* last_evaluated_key) {
  boost::json::basic_parser<AnswerSummary> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  parser.write_some(false, reply->body.data(), reply->body.size(), ec);
  if (ec || parser.handler().unexpected || !parser.handler().object_root) return false;
  reply->ok = true;
  reply->found = parser.handler().has_item;
  reply->items += parser.handler().count;
  if (last_evaluated_key) *last_evaluated_key = std::move(parser.handler().last_evaluated_key);
  return true;
}

// The parsed answer's fields a benchmark needs. Parsing runs on a stack buffer: no allocation
// for a GetItem's answer.
void ParseAnswer(Reply* reply, std::string* last_evaluated_key) {
  if (reply->status == 200 && Summarize(reply, last_evaluated_key)) return;
  unsigned char scratch[8192];
  boost::json::monotonic_resource resource(scratch, sizeof(scratch));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(reply->body, ec, &resource);
  const boost::json::object* object = ec ? nullptr : v.if_object();
  if (reply->status != 200) {
    reply->ok = false;
    reply->error = "HTTP " + std::to_string(reply->status);
    const boost::json::value* type = object ? object->if_contains("__type") : nullptr;
    if (type && type->is_string()) {
      std::string_view t = type->get_string();
      reply->error =
          std::string(t.substr(t.find('#') == std::string_view::npos ? 0 : t.find('#') + 1));
    }
    return;
  }
  if (!object) {
    reply->ok = false;
    reply->error = "answer is not a JSON object";
    return;
  }
  reply->ok = true;
  reply->found = object->contains("Item");
  if (const boost::json::value* count = object->if_contains("Count"); count && count->is_int64()) {
    reply->items += count->get_int64();
  }
  if (last_evaluated_key) {
    const boost::json::value* lek = object->if_contains("LastEvaluatedKey");
    *last_evaluated_key = lek ? boost::json::serialize(*lek) : std::string();
  }
}

}  // namespace

DynamoDbClient::DynamoDbClient(const boost::asio::any_io_executor& executor, ClientConfig config)
    : config_(std::move(config)), socket_(executor) {}

DynamoDbClient::~DynamoDbClient() {
  boost::system::error_code ec;
  socket_.close(ec);
}

Task<bool> DynamoDbClient::Connect(std::string* error) {
  boost::system::error_code ec;
  socket_.close(ec);
  buffer_.clear();
  const tcp::endpoint target(boost::asio::ip::make_address(config_.endpoint.host, ec),
                             config_.endpoint.port);
  co_await socket_.async_connect(target, redirect_error(use_awaitable, ec));
  if (ec) {
    *error = "connect: " + ec.message();
    co_return false;
  }
  socket_.set_option(tcp::no_delay(true), ec);  // small requests must not wait for an ACK
  connected_ = true;
  served_ = 0;
  co_return true;
}

Task<bool> DynamoDbClient::Exchange(std::string_view operation, const std::string& body,
                                    Reply* reply) {
  // Sign as the SDK does: the target and content type are signed headers.
  HttpRequest signing;
  signing.method = "POST";
  signing.url = config_.endpoint.url + "/";
  signing.body = body;
  signing.SetHeader("Content-Type", "application/x-amz-json-1.0");
  signing.SetHeader("X-Amz-Target", "DynamoDB_20120810." + std::string(operation));
  SigV4Params params;
  params.service = "dynamodb";
  params.region = config_.region;
  auto signed_request = SignRequest(&signing, {config_.access_key, config_.secret_key, ""}, params);
  if (!signed_request.ok()) {
    reply->error = "signing: " + signed_request.status().message();
    co_return false;
  }

  http::request<http::string_body> request(http::verb::post, "/", 11);
  request.set(http::field::host,
              config_.endpoint.host + ":" + std::to_string(config_.endpoint.port));
  for (const auto& [name, value] : signing.headers) request.set(name, value);
  request.keep_alive(true);
  request.body() = body;
  request.prepare_payload();

  boost::system::error_code ec;
  co_await http::async_write(socket_, request, redirect_error(use_awaitable, ec));
  if (ec) {
    reply->error = "write: " + ec.message();
    co_return false;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);  // a Scan page is at most 1 MB of items, plus JSON
  co_await http::async_read(socket_, buffer_, parser, redirect_error(use_awaitable, ec));
  if (ec) {
    reply->error = "read: " + ec.message();
    co_return false;
  }
  reply->requests++;
  served_++;
  reply->status = static_cast<int>(parser.get().result_int());
  reply->body = std::move(parser.get().body());
  if (!parser.get().keep_alive()) connected_ = false;
  co_return true;
}

Task<Reply> DynamoDbClient::Call(std::string_view operation, const std::string& body,
                                 std::string* last_evaluated_key) {
  Reply reply;
  for (int attempt = 0; attempt < 2; attempt++) {
    std::string error;
    if (!connected_ && !co_await Connect(&error)) {
      reply.error = error;
      co_return reply;
    }
    const bool reused = served_ > 0;
    if (co_await Exchange(operation, body, &reply)) {
      ParseAnswer(&reply, last_evaluated_key);
      co_return reply;
    }
    connected_ = false;
    if (!reused) break;  // a fresh connection failed: the server, not an idle timeout
    reconnects_++;
  }
  co_return reply;
}

// The binding's createPrimaryKey: {"key_name":{"S":key}}, with the fixed hash key first in
// HASH_AND_RANGE mode (without the braces).
void DynamoDbClient::AppendKeyAttributes(std::string* out, const std::string& key) const {
  if (!config_.hash_key_name.empty()) {
    AppendJsonString(config_.hash_key_name, out);
    out->append(":{\"S\":");
    AppendJsonString(config_.hash_key_value, out);
    out->append("},");
  }
  AppendJsonString(config_.key_name, out);
  out->append(":{\"S\":");
  AppendJsonString(key, out);
  out->push_back('}');
}

std::string DynamoDbClient::KeyJson(const std::string& key) const {
  std::string out = "{";
  AppendKeyAttributes(&out, key);
  out.push_back('}');
  return out;
}

Task<Reply> DynamoDbClient::GetItem(const std::string& key) {
  std::string body = "{\"TableName\":";
  AppendJsonString(config_.table, &body);
  body += ",\"Key\":" + KeyJson(key);
  body += config_.consistent_read ? ",\"ConsistentRead\":true}" : ",\"ConsistentRead\":false}";
  co_return co_await Call("GetItem", body);
}

Task<Reply> DynamoDbClient::UpdateItem(const std::string& key, const Fields& fields) {
  std::string body = "{\"TableName\":";
  AppendJsonString(config_.table, &body);
  body += ",\"Key\":" + KeyJson(key) + ",\"AttributeUpdates\":{";
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) body.push_back(',');
    first = false;
    AppendJsonString(name, &body);
    body.append(":{\"Value\":{\"S\":");
    AppendJsonString(value, &body);
    body.append("},\"Action\":\"PUT\"}");
  }
  body.append("}}");
  co_return co_await Call("UpdateItem", body);
}

Task<Reply> DynamoDbClient::PutItem(const std::string& key, const Fields& fields) {
  std::string body = "{\"TableName\":";
  AppendJsonString(config_.table, &body);
  body.append(",\"Item\":{");
  AppendStringAttributes(&body, fields);
  body.push_back(',');
  AppendKeyAttributes(&body, key);
  body.append("}}");
  co_return co_await Call("PutItem", body);
}

Task<Reply> DynamoDbClient::ScanFrom(const std::string& start_key, int64_t count) {
  // DynamoDB's ExclusiveStartKey excludes the start key: the binding reads it first (a GetItem
  // without ConsistentRead), counts it as one whether or not it exists, then scans on.
  std::string get = "{\"TableName\":";
  AppendJsonString(config_.table, &get);
  get += ",\"Key\":" + KeyJson(start_key) + "}";
  Reply total = co_await Call("GetItem", get);
  if (!total.ok) co_return total;
  total.items = total.found ? 1 : 0;
  int64_t done = 1;
  std::string exclusive_start = KeyJson(start_key);
  // Past the table's end the binding starts over from its beginning (no ExclusiveStartKey); it
  // would loop forever on a table smaller than the scan. Bounded here: a page that is empty
  // and last ends the scan, and so does the 1000th page.
  for (int page = 0; done < count && page < 1000; page++) {
    std::string body = "{\"TableName\":";
    AppendJsonString(config_.table, &body);
    body += ",\"Limit\":" + std::to_string(count - done);
    if (!exclusive_start.empty()) body += ",\"ExclusiveStartKey\":" + exclusive_start;
    body.push_back('}');
    std::string next;
    const Reply reply = co_await Call("Scan", body, &next);
    total.requests += reply.requests;
    if (!reply.ok) {
      total.ok = false;
      total.status = reply.status;
      total.error = reply.error;
      co_return total;
    }
    const int64_t returned = reply.items;
    total.items += returned;
    done += returned;
    if (returned == 0 && next.empty()) break;
    exclusive_start = std::move(next);
  }
  co_return total;
}

Task<Reply> DynamoDbClient::RecreateTable() {
  boost::asio::steady_timer timer(socket_.get_executor());
  auto pause = [&]() -> Task<void> {
    timer.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
  };
  std::string name;
  AppendJsonString(config_.table, &name);
  Reply deleted = co_await Call("DeleteTable", "{\"TableName\":" + name + "}");
  if (!deleted.ok && deleted.error != "ResourceNotFoundException") co_return deleted;
  // Wait until the table is gone (DynamoDB Local and dynalite delete at once or shortly after).
  for (int i = 0; i < 300 && deleted.ok; i++) {
    Reply described = co_await Call("DescribeTable", "{\"TableName\":" + name + "}");
    if (!described.ok && described.error == "ResourceNotFoundException") break;
    co_await pause();
  }
  auto attribute = [](const std::string& name, const char* key_type, std::string* definitions,
                      std::string* schema) {
    if (!definitions->empty()) definitions->push_back(',');
    if (!schema->empty()) schema->push_back(',');
    std::string quoted;
    AppendJsonString(name, &quoted);
    *definitions += "{\"AttributeName\":" + quoted + ",\"AttributeType\":\"S\"}";
    *schema += "{\"AttributeName\":" + quoted + ",\"KeyType\":\"" + key_type + "\"}";
  };
  std::string definitions, schema;
  if (config_.hash_key_name.empty()) {
    attribute(config_.key_name, "HASH", &definitions, &schema);
  } else {
    attribute(config_.hash_key_name, "HASH", &definitions, &schema);
    attribute(config_.key_name, "RANGE", &definitions, &schema);
  }
  Reply created = co_await Call(
      "CreateTable", "{\"TableName\":" + name + ",\"AttributeDefinitions\":[" + definitions +
                         "],\"KeySchema\":[" + schema + "],\"BillingMode\":\"PAY_PER_REQUEST\"}");
  if (!created.ok) co_return created;
  for (int i = 0; i < 300; i++) {
    Reply described = co_await Call("DescribeTable", "{\"TableName\":" + name + "}");
    if (!described.ok) co_return described;
    if (described.body.find("\"TableStatus\":\"ACTIVE\"") != std::string::npos) {
      co_return described;
    }
    co_await pause();
  }
  Reply timeout;
  timeout.error = "table did not become ACTIVE within 30 s";
  co_return timeout;
}

}  // namespace cloudlite::ycsb
