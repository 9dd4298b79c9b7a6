#include "server/dynamodb/handler.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <exception>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/offline.h"
#include "base/random.h"
#include "net/aws/dynamodb_wire.h"
#include "net/sigv4.h"

namespace cloudlite::server::dynamodb {
namespace json = boost::json;
namespace {

// What DynamoDB answers a request that is not a POST of JSON: 404 with this XML body.
constexpr std::string_view kNotAnOperation = "<UnknownOperationException/>\n";
constexpr size_t kMaxLoggedTable = 256;
constexpr std::string_view kRequestsMetric = "cloudlite_dynamodb_requests_total";
constexpr std::string_view kRequestsHelp =
    "DynamoDB operations run, by operation and result (ok or the error type)";
constexpr std::string_view kDurationMetric = "cloudlite_dynamodb_operation_duration_seconds";
constexpr std::string_view kDurationHelp = "Time spent running DynamoDB operations, by operation";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The content type to answer with for a request's Content-Type, or "" when DynamoDB would not
// take the request (the media type decides; parameters such as charset are ignored).
std::string AnswerContentType(std::string_view request_type) {
  std::string media = Lower(Trim(request_type.substr(0, request_type.find(';'))));
  if (media == "application/x-amz-json-1.0" || media == "application/x-amz-json-1.1" ||
      media == "application/json") {
    return media;
  }
  return "";
}

// The operation an X-Amz-Target names ("DynamoDB_20120810.PutItem" -> "PutItem"), or "" when it
// names none DynamoDB knows.
std::string_view TargetOperation(std::string_view target) {
  if (target.substr(0, ddb::kTargetPrefix.size()) != ddb::kTargetPrefix) return "";
  std::string_view op = target.substr(ddb::kTargetPrefix.size());
  // The list's own view: it outlives the request.
  const auto& known = KnownOperations();
  auto it = std::lower_bound(known.begin(), known.end(), op);
  return it != known.end() && *it == op ? *it : std::string_view();
}

// The reads the fast path tries (WireHandler::TryInline): they touch one partition each (a
// batch a few), so a bound of a few milliseconds fits them. Scans and writes go to the workers.
bool Inlinable(std::string_view operation) {
  return operation == "GetItem" || operation == "BatchGetItem" || operation == "Query";
}

// Whether a read asks for strong consistency: ConsistentRead, or in BatchGetItem that of any
// table of RequestItems.
bool AsksConsistentRead(const json::object& body) {
  auto consistent = [](const json::object& o) {
    const json::value* v = o.if_contains("ConsistentRead");
    return v && v->is_bool() && v->get_bool();
  };
  if (consistent(body)) return true;
  if (const json::value* items = body.if_contains("RequestItems"); items && items->is_object()) {
    for (const auto& table : items->get_object()) {
      if (table.value().is_object() && consistent(table.value().get_object())) return true;
    }
  }
  return false;
}

// The table(s) a request names, for the access log: TableName, else the keys of RequestItems.
std::string TablesOf(const json::object& body) {
  if (const json::value* name = body.if_contains("TableName"); name && name->is_string()) {
    return std::string(name->as_string().subview().substr(0, kMaxLoggedTable));
  }
  std::string out;
  if (const json::value* items = body.if_contains("RequestItems"); items && items->is_object()) {
    for (const auto& [name, _] : items->as_object()) {
      if (!out.empty()) out += ',';
      out += std::string_view(name);
      if (out.size() >= kMaxLoggedTable) break;
    }
  }
  return out.substr(0, std::min(out.size(), kMaxLoggedTable));
}

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0 if there is none
// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (n == 0 || lead > 0xF4 || lead == 0xC0 || lead == 0xC1 || s.size() < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  const unsigned char second = byte(1);
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) ||
      (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)) {
    return 0;
  }
  return n;
}

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD: messages
// quote what clients sent (a date, an Authorization header), and a JSON body must be UTF-8.
std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t n = Utf8SequenceLength(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

Response Answer(int status, std::string body, std::string content_type,
                const std::string& request_id) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("content-type", std::move(content_type));
  r.set_header("x-amzn-requestid", request_id);
  r.set_header("x-amz-crc32", std::to_string(ddb::Crc32(r.body)));
  return r;
}

Response ErrorAnswer(const ApiError& error, const std::string& content_type,
                     const std::string& request_id) {
  Response r = Answer(error.http_status, ErrorBody(error), content_type, request_id);
  r.log_fields.emplace_back("error", error.type);
  return r;
}

ApiError Serialization(std::string message) {
  return {"SerializationException", std::move(message), 400, {}};
}

// Keys of a credentials file: "ID SECRET [TOKEN]" lines or ~/.aws/credentials' INI form.
struct KeyFileParser {
  std::vector<AccessKey> keys;
  AccessKey ini;  // the [profile] being read
  bool in_profile = false;

  Status FlushProfile(int line) {
    if (in_profile && (!ini.id.empty() || !ini.secret.empty())) {
      CL_RETURN_IF_ERROR(Add(std::move(ini), line));
    }
    ini = AccessKey{};
    return Status::Ok();
  }

  Status Add(AccessKey key, int line) {
    if (key.id.empty() || key.secret.empty()) {
      return Status::InvalidArgument("credentials file line " + std::to_string(line) +
                                     ": an access key needs both an id and a secret");
    }
    for (const AccessKey& k : keys) {
      if (k.id == key.id && (k.secret != key.secret || k.session_token != key.session_token)) {
        return Status::InvalidArgument("credentials file line " + std::to_string(line) +
                                       ": access key " + key.id +
                                       " is given twice with different secrets");
      }
    }
    keys.push_back(std::move(key));
    return Status::Ok();
  }

  Status Line(std::string_view text, int line) {
    text = Trim(text);
    if (text.empty() || text.front() == '#' || text.front() == ';') return Status::Ok();
    if (text.front() == '[') {
      CL_RETURN_IF_ERROR(FlushProfile(line));
      in_profile = true;
      return Status::Ok();
    }
    if (size_t eq = text.find('='); in_profile && eq != std::string_view::npos) {
      const std::string key = Lower(Trim(text.substr(0, eq)));
      const std::string value(Trim(text.substr(eq + 1)));
      if (key == "aws_access_key_id") ini.id = value;
      if (key == "aws_secret_access_key") ini.secret = value;
      if (key == "aws_session_token") ini.session_token = value;
      return Status::Ok();  // other settings (region, ...) are not ours
    }
    std::istringstream words{std::string(text)};
    AccessKey key;
    std::string extra;
    words >> key.id >> key.secret >> key.session_token >> extra;
    if (!extra.empty()) {
      return Status::InvalidArgument("credentials file line " + std::to_string(line) +
                                     ": expected ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]");
    }
    return Add(std::move(key), line);
  }
};

}  // namespace

const std::vector<std::string_view>& KnownOperations() {
  // DynamoDB_20120810's operations, as the API reference lists them.
  static constexpr std::string_view kNames =
      "BatchExecuteStatement BatchGetItem BatchWriteItem CreateBackup "
      "CreateGlobalTable CreateTable DeleteBackup DeleteItem DeleteResourcePolicy "
      "DeleteTable DescribeBackup DescribeContinuousBackups "
      "DescribeContributorInsights DescribeEndpoints DescribeExport "
      "DescribeGlobalTable DescribeGlobalTableSettings DescribeImport "
      "DescribeKinesisStreamingDestination DescribeLimits DescribeTable "
      "DescribeTableReplicaAutoScaling DescribeTimeToLive "
      "DisableKinesisStreamingDestination EnableKinesisStreamingDestination "
      "ExecuteStatement ExecuteTransaction ExportTableToPointInTime GetItem "
      "GetResourcePolicy ImportTable ListBackups ListContributorInsights ListExports "
      "ListGlobalTables ListImports ListTables ListTagsOfResource PutItem "
      "PutResourcePolicy Query RestoreTableFromBackup RestoreTableToPointInTime Scan "
      "TagResource TransactGetItems TransactWriteItems UntagResource "
      "UpdateContinuousBackups UpdateContributorInsights UpdateGlobalTable "
      "UpdateGlobalTableSettings UpdateItem UpdateKinesisStreamingDestination "
      "UpdateTable UpdateTableReplicaAutoScaling UpdateTimeToLive";
  static const std::vector<std::string_view> kOperations = [] {
    std::vector<std::string_view> ops;
    for (std::string_view rest = kNames; !rest.empty();) {
      const size_t space = rest.find(' ');
      ops.push_back(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    std::sort(ops.begin(), ops.end());
    return ops;
  }();
  return kOperations;
}

std::string ErrorBody(const ApiError& error) {
  json::object body;
  body["__type"] = std::string(kErrorPrefix) + error.type;
  // DynamoDB's own exceptions say "message"; its deserializer's SerializationException says
  // "Message". The SDKs read either.
  if (!error.message.empty()) {
    body[error.type == "SerializationException" ? "Message" : "message"] = ValidUtf8(error.message);
  }
  for (const auto& [k, v] : error.members) body[k] = v;
  return json::serialize(body);
}

Result<AccessKeys> AccessKeys::Parse(std::string_view text) {
  KeyFileParser parser;
  int line = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    CL_RETURN_IF_ERROR(parser.Line(text.substr(0, nl), ++line));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  CL_RETURN_IF_ERROR(parser.FlushProfile(line));
  if (parser.keys.empty()) {
    return Status::InvalidArgument("the credentials file holds no access key");
  }
  AccessKeys out;
  out.keys_ = std::move(parser.keys);
  return out;
}

Result<AccessKeys> AccessKeys::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the credentials file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  Result<AccessKeys> keys = Parse(text.str());
  if (!keys.ok()) return Status::InvalidArgument(path + ": " + keys.status().message());
  return keys;
}

const AccessKey* AccessKeys::Find(std::string_view id) const {
  for (const AccessKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

WireHandler::WireHandler(Operations& operations, HandlerOptions options)
    : operations_(operations), options_(std::move(options)), id_prefix_(RandomHex(10)) {}

WireHandler::OperationMetrics WireHandler::MetricsOf(std::string_view operation) {
  std::lock_guard lock(metrics_mu_);
  auto it = metrics_.find(operation);
  if (it != metrics_.end()) return it->second;
  const std::string op(operation);
  OperationMetrics m{options_.metrics->GetCounter(kRequestsMetric, kRequestsHelp,
                                                  {{"operation", op}, {"result", "ok"}}),
                     options_.metrics->GetHistogram(kDurationMetric, kDurationHelp,
                                                    LatencyBuckets(), {{"operation", op}})};
  metrics_.emplace(op, m);
  return m;
}

Handler WireHandler::AsHandler() {
  return [this](const Request& r) { return Handle(r); };
}

InlineHandler WireHandler::AsInlineHandler() {
  return [this](const Request& r) { return TryInline(r); };
}

std::string WireHandler::NextRequestId() {
  // DynamoDB's ids are 52 characters of [A-Z0-9]: 20 random hex digits for the process, then a
  // counter, so no two requests of one handler share an id.
  std::string id = id_prefix_;
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t n = next_id_.fetch_add(1, std::memory_order_relaxed);
  std::string counter(32, '0');
  for (size_t i = counter.size(); i-- > 0 && n != 0; n /= 36) {
    counter[i] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 36];
  }
  return id + counter;
}

Response WireHandler::Handle(const Request& request) { return *Serve(request, nullptr); }

std::optional<Response> WireHandler::TryInline(const Request& request) {
  if (options_.inline_budget.count() <= 0 || request.method != "POST" ||
      !Inlinable(TargetOperation(request.header("x-amz-target")))) {
    return std::nullopt;
  }
  const auto until = std::chrono::steady_clock::now() + options_.inline_budget;
  return Serve(request, &until);
}

std::optional<Response> WireHandler::Serve(const Request& request, InlineUntil inline_until) {
  if (!inline_until && request.method == "GET" && request.path == "/metrics" && options_.metrics) {
    if (options_.refresh_metrics) options_.refresh_metrics();
    Response r = MetricsResponse(*options_.metrics);
    r.route = "metrics";
    return r;
  }
  if (!inline_until && request.method == "GET" && request.path == "/readyz" && options_.ready) {
    Status s = options_.ready();
    Response r = s.ok() ? Response::Text(200, "ready\n") : Response::Text(503, s.ToString() + "\n");
    r.route = "readyz";
    return r;
  }
  const std::string request_id = NextRequestId();
  std::string_view operation;
  std::optional<Response> r = Call(request, request_id, &operation, inline_until);
  if (!r) return std::nullopt;
  // The route (metrics label) is the operation once known: a bounded set of names.
  r->route = operation.empty() ? "dynamodb" : std::string(operation);
  if (!operation.empty()) r->log_fields.emplace_back("operation", std::string(operation));
  r->log_fields.emplace_back("request_id", request_id);
  return r;
}

std::optional<Response> WireHandler::Call(const Request& request, const std::string& request_id,
                                          std::string_view* known_operation,
                                          InlineUntil inline_until) {
  // DynamoDB's order: the HTTP shape, the JSON, the target, the signature, then the operation.
  // It does not look at the path.
  const std::string content_type = AnswerContentType(request.header("content-type"));
  if (request.method != "POST" || (!request.body.empty() && content_type.empty())) {
    return Answer(404, std::string(kNotAnOperation), "application/xml", request_id);
  }
  const std::string answer_type =
      content_type.empty() ? std::string(ddb::kContentType) : content_type;
  if (request.body.size() > options_.max_body_bytes) {
    return ErrorAnswer({"RequestEntityTooLarge",
                        "Request body of " + std::to_string(request.body.size()) +
                            " bytes is larger than the limit of " +
                            std::to_string(options_.max_body_bytes) + " bytes",
                        413,
                        {}},
                       answer_type, request_id);
  }
  json::object body;
  if (!request.body.empty()) {
    Result<ddb::Json> parsed = ddb::ParseJson(request.body);
    if (!parsed.ok()) {
      return ErrorAnswer(Serialization(parsed.status().message()), answer_type, request_id);
    }
    if (!parsed->is_object()) {
      return ErrorAnswer(Serialization("the request body must be a JSON object"), answer_type,
                         request_id);
    }
    body = std::move(parsed->as_object());
  }
  const std::string_view operation = TargetOperation(request.header("x-amz-target"));
  if (operation.empty()) {
    return ErrorAnswer(
        {"UnknownOperationException", "An unknown operation was requested.", 400, {}}, answer_type,
        request_id);
  }
  *known_operation = operation;
  if (options_.access_keys) {
    ReceivedRequest received{request.method, request.path, request.query, {}, request.body};
    for (const Header& h : request.headers) received.headers.emplace_back(h.name, h.value);
    const AccessKeys& keys = *options_.access_keys;
    SigV4VerifyParams params;
    params.service = "dynamodb";
    params.now = options_.now();
    SigV4Verdict verdict = VerifySignature(
        received,
        [&keys](std::string_view id) -> std::optional<AwsCredentials> {
          const AccessKey* k = keys.Find(id);
          if (!k) return std::nullopt;
          return AwsCredentials{k->id, k->secret, k->session_token};
        },
        params);
    if (!verdict.ok) {
      return ErrorAnswer(
          {std::string(RefusalName(verdict.refusal)), std::move(verdict.message), 400, {}},
          answer_type, request_id);
    }
  }
  if (request.body.empty()) {
    return ErrorAnswer(Serialization("the request body is empty: a JSON object is expected"),
                       answer_type, request_id);
  }
  std::optional<Response> r = Run(operation, body, request, request_id, answer_type, inline_until);
  if (!r) return std::nullopt;
  if (std::string tables = TablesOf(body); !tables.empty()) {
    r->log_fields.emplace_back("table", std::move(tables));
  }
  return r;
}

std::optional<Response> WireHandler::Run(std::string_view operation, const json::object& body,
                                         const Request& request, const std::string& request_id,
                                         const std::string& content_type,
                                         InlineUntil inline_until) {
  CallContext context{request_id, request.deadline};
  // On the fast path nothing may wait on the network: what would is refused at once, and a
  // worker runs the request again from the start.
  std::optional<OfflineScope> offline;
  if (inline_until) {
    if (!options_.inline_consistent_reads && AsksConsistentRead(body)) return std::nullopt;
    context.deadline = std::min(context.deadline, *inline_until);
    offline.emplace();
  }
  const auto start = std::chrono::steady_clock::now();
  OperationResult result = ApiError{"InternalServerError", "Internal server error", 500, {}};
  try {
    result = operations_.Run(operation, body, context);
  } catch (const std::exception&) {
    // The operations return errors as values; an exception is a bug, answered as DynamoDB
    // answers its own failures and never taking the server down.
  }
  const auto end = std::chrono::steady_clock::now();
  if (inline_until && (offline->refused() || end >= *inline_until)) return std::nullopt;
  const double seconds = std::chrono::duration<double>(end - start).count();
  const ApiError* error = std::get_if<ApiError>(&result);
  if (options_.metrics) {
    const OperationMetrics m = MetricsOf(operation);
    if (error) {
      options_.metrics
          ->GetCounter(kRequestsMetric, kRequestsHelp,
                       {{"operation", std::string(operation)}, {"result", error->type}})
          ->Increment();
    } else {
      m.ok->Increment();
    }
    m.duration->Observe(seconds);
  }
  if (error) return ErrorAnswer(*error, content_type, request_id);
  return Answer(200, std::move(std::get<ResponseBody>(result).text), content_type, request_id);
}

}  // namespace cloudlite::server::dynamodb
