#include "server/sql/hrana_proto.h"

#include <array>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <cmath>
#include <limits>

#include "base/base64.h"
#include "base/json_text.h"

namespace cloudlite::server::sql {
namespace json = boost::json;
using namespace std::literals;
namespace {

// Conditions nest; the parser's depth bound keeps the recursion below it bounded too.
constexpr size_t kMaxJsonDepth = 64;

// Where a value sits in the body, for error messages ("requests[0].stmt.args[1].value"): a chain
// of member names and array indexes on the stack, spelled out only when an error names it (most
// requests have none, and building each name was a tenth of decoding one).
class Path {
 public:
  Path(const char* root) : root_(root) {}  // implicit: a root is named by its text
  Path(const Path& parent, std::string_view member) : parent_(&parent), member_(member) {}
  Path(const Path& parent, size_t index) : parent_(&parent), index_(index) {}

  std::string str() const {
    if (!parent_) return std::string(root_);
    std::string s = parent_->str();
    if (member_.empty()) return s + "[" + std::to_string(index_) + "]";
    return s + "." + std::string(member_);
  }

 private:
  const Path* parent_ = nullptr;
  std::string_view root_;
  std::string_view member_;  // empty: index_
  size_t index_ = 0;
};

Status Bad(const Path& path, std::string_view what) {
  return Status::InvalidArgument(path.str() + ": " + std::string(what));
}

Result<const json::object*> AsObject(const json::value& v, const Path& path) {
  if (const json::object* o = v.if_object()) return o;
  return Bad(path, "expected an object");
}

// The member `key` of `o`, nullptr if absent or null (both mean "not given" in Hrana).
const json::value* Member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

Result<std::string> GetString(const json::value& v, const Path& path) {
  if (const json::string* s = v.if_string()) return std::string(s->data(), s->size());
  return Bad(path, "expected a string");
}

// A JSON number that is an integer in [lo, hi].
Result<int64_t> GetInteger(const json::value& v, const Path& path, int64_t lo, int64_t hi) {
  int64_t n = 0;
  if (const int64_t* i = v.if_int64()) {
    n = *i;
  } else if (const uint64_t* u = v.if_uint64()) {
    if (*u > static_cast<uint64_t>(hi)) return Bad(path, "number out of range");
    n = static_cast<int64_t>(*u);
  } else {
    return Bad(path, "expected an integer");
  }
  if (n < lo || n > hi) return Bad(path, "number out of range");
  return n;
}

Result<bool> GetBool(const json::value& v, const Path& path) {
  if (const bool* b = v.if_bool()) return *b;
  return Bad(path, "expected true or false");
}

Result<const json::array*> GetArray(const json::value& v, const Path& path) {
  if (const json::array* a = v.if_array()) return a;
  return Bad(path, "expected an array");
}

Result<int64_t> ParseDecimal(std::string_view text, const Path& path) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Bad(path, "expected a 64-bit integer as a decimal string");
  }
  return n;
}

Result<Value> ParseValue(const json::value& v, const Path& path) {
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, path));
  const json::value* type = Member(*o, "type");
  if (!type) return Bad(Path(path, "type"), "missing");
  CL_ASSIGN_OR_RETURN(std::string t, GetString(*type, Path(path, "type")));
  if (t == "null") return Value(nullptr);
  const json::value* value = Member(*o, "value");
  if (t == "integer") {
    if (!value) return Bad(Path(path, "value"), "missing");
    if (const json::string* s = value->if_string()) {
      CL_ASSIGN_OR_RETURN(int64_t n, ParseDecimal(*s, Path(path, "value")));
      return Value(n);
    }
    CL_ASSIGN_OR_RETURN(int64_t n,
                        GetInteger(*value, Path(path, "value"), std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max()));
    return Value(n);
  }
  if (t == "float") {
    // JavaScript's 42.0 arrives as the JSON number 42: any number is a float here.
    if (!value || !value->is_number()) return Bad(Path(path, "value"), "expected a number");
    return Value(value->to_number<double>());
  }
  if (t == "text") {
    if (!value) return Bad(Path(path, "value"), "missing");
    CL_ASSIGN_OR_RETURN(std::string s, GetString(*value, Path(path, "value")));
    return Value(std::move(s));
  }
  if (t == "blob") {
    const json::value* b64 = Member(*o, "base64");
    if (!b64) return Bad(Path(path, "base64"), "missing");
    CL_ASSIGN_OR_RETURN(std::string text, GetString(*b64, Path(path, "base64")));
    Blob blob;
    if (!Base64Decode(text, &blob.bytes)) return Bad(Path(path, "base64"), "not valid base64");
    return Value(std::move(blob));
  }
  return Bad(Path(path, "type"), "unknown value type \"" + t + "\"");
}

Result<std::optional<int32_t>> OptionalSqlId(const json::object& o, const Path& path) {
  const json::value* v = Member(o, "sql_id");
  if (!v) return std::optional<int32_t>();
  CL_ASSIGN_OR_RETURN(int64_t id,
                      GetInteger(*v, Path(path, "sql_id"), std::numeric_limits<int32_t>::min(),
                                 std::numeric_limits<int32_t>::max()));
  return std::optional<int32_t>(static_cast<int32_t>(id));
}

Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key,
                                                  const Path& path) {
  const json::value* v = Member(o, key);
  if (!v) return std::optional<std::string>();
  CL_ASSIGN_OR_RETURN(std::string s, GetString(*v, Path(path, key)));
  return std::optional<std::string>(std::move(s));
}

// sql or sql_id, exactly one.
Status ParseSqlOrId(const json::object& o, const Path& path, std::optional<std::string>* sql,
                    std::optional<int32_t>* sql_id) {
  CL_ASSIGN_OR_RETURN(*sql, OptionalString(o, "sql", path));
  CL_ASSIGN_OR_RETURN(*sql_id, OptionalSqlId(o, path));
  if (sql->has_value() == sql_id->has_value()) {
    return Bad(path, "exactly one of \"sql\" and \"sql_id\" must be given");
  }
  return Status::Ok();
}

Result<Stmt> ParseStmt(const json::value& v, const Path& path) {
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, path));
  Stmt stmt;
  CL_RETURN_IF_ERROR(ParseSqlOrId(*o, path, &stmt.sql, &stmt.sql_id));
  if (const json::value* args = Member(*o, "args")) {
    CL_ASSIGN_OR_RETURN(const json::array* a, GetArray(*args, Path(path, "args")));
    for (size_t i = 0; i < a->size(); i++) {
      CL_ASSIGN_OR_RETURN(Value value, ParseValue((*a)[i], Path(Path(path, "args"), i)));
      stmt.args.push_back(std::move(value));
    }
  }
  if (const json::value* named = Member(*o, "named_args")) {
    const Path named_args(path, "named_args");
    CL_ASSIGN_OR_RETURN(const json::array* a, GetArray(*named, named_args));
    for (size_t i = 0; i < a->size(); i++) {
      const Path at(named_args, i);
      CL_ASSIGN_OR_RETURN(const json::object* arg, AsObject((*a)[i], at));
      const json::value* name = Member(*arg, "name");
      const json::value* value = Member(*arg, "value");
      if (!name) return Bad(Path(at, "name"), "missing");
      if (!value) return Bad(Path(at, "value"), "missing");
      CL_ASSIGN_OR_RETURN(std::string n, GetString(*name, Path(at, "name")));
      CL_ASSIGN_OR_RETURN(Value parsed, ParseValue(*value, Path(at, "value")));
      stmt.named_args.emplace_back(std::move(n), std::move(parsed));
    }
  }
  if (const json::value* want = Member(*o, "want_rows")) {
    CL_ASSIGN_OR_RETURN(stmt.want_rows, GetBool(*want, Path(path, "want_rows")));
  }
  return stmt;
}

// `current` is the step the condition guards: it may only look at earlier steps.
Result<BatchCond> ParseCond(const json::value& v, const Path& path, uint32_t current,
                            HranaVersion version) {
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, path));
  const json::value* type = Member(*o, "type");
  if (!type) return Bad(Path(path, "type"), "missing");
  CL_ASSIGN_OR_RETURN(std::string t, GetString(*type, Path(path, "type")));
  BatchCond cond;
  if (t == "ok" || t == "error") {
    cond.kind = t == "ok" ? BatchCond::Kind::kOk : BatchCond::Kind::kError;
    const json::value* step = Member(*o, "step");
    if (!step) return Bad(Path(path, "step"), "missing");
    CL_ASSIGN_OR_RETURN(int64_t s, GetInteger(*step, Path(path, "step"), 0, UINT32_MAX));
    if (s >= current)
      return Bad(Path(path, "step"), "a condition may only refer to an earlier step");
    cond.step = static_cast<uint32_t>(s);
  } else if (t == "not") {
    cond.kind = BatchCond::Kind::kNot;
    const json::value* inner = Member(*o, "cond");
    if (!inner) return Bad(Path(path, "cond"), "missing");
    CL_ASSIGN_OR_RETURN(BatchCond c, ParseCond(*inner, Path(path, "cond"), current, version));
    cond.conds.push_back(std::move(c));
  } else if (t == "and" || t == "or") {
    cond.kind = t == "and" ? BatchCond::Kind::kAnd : BatchCond::Kind::kOr;
    const json::value* conds = Member(*o, "conds");
    if (!conds) return Bad(Path(path, "conds"), "missing");
    CL_ASSIGN_OR_RETURN(const json::array* a, GetArray(*conds, Path(path, "conds")));
    for (size_t i = 0; i < a->size(); i++) {
      CL_ASSIGN_OR_RETURN(BatchCond c,
                          ParseCond((*a)[i], Path(Path(path, "conds"), i), current, version));
      cond.conds.push_back(std::move(c));
    }
  } else if (t == "is_autocommit") {
    if (version == HranaVersion::k2) {
      return Bad(Path(path, "type"), "\"is_autocommit\" is Hrana 3: use /v3/pipeline");
    }
    cond.kind = BatchCond::Kind::kIsAutocommit;
  } else {
    return Bad(Path(path, "type"), "unknown condition type \"" + t + "\"");
  }
  return cond;
}

Result<Batch> ParseBatch(const json::value& v, const Path& path, HranaVersion version,
                         size_t* statements, const DecodeLimits& limits) {
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, path));
  const json::value* steps = Member(*o, "steps");
  if (!steps) return Bad(Path(path, "steps"), "missing");
  const Path steps_path(path, "steps");
  CL_ASSIGN_OR_RETURN(const json::array* a, GetArray(*steps, steps_path));
  Batch batch;
  for (size_t i = 0; i < a->size(); i++) {
    if (++*statements > limits.max_statements) {
      return Bad(path, "more than " + std::to_string(limits.max_statements) +
                           " statements in one request");
    }
    const Path at(steps_path, i);
    CL_ASSIGN_OR_RETURN(const json::object* step, AsObject((*a)[i], at));
    BatchStep parsed;
    if (const json::value* cond = Member(*step, "condition")) {
      CL_ASSIGN_OR_RETURN(
          BatchCond c, ParseCond(*cond, Path(at, "condition"), static_cast<uint32_t>(i), version));
      parsed.condition = std::move(c);
    }
    const json::value* stmt = Member(*step, "stmt");
    if (!stmt) return Bad(Path(at, "stmt"), "missing");
    CL_ASSIGN_OR_RETURN(parsed.stmt, ParseStmt(*stmt, Path(at, "stmt")));
    batch.steps.push_back(std::move(parsed));
  }
  return batch;
}

Result<StreamRequest> ParseRequest(const json::value& v, const Path& path, HranaVersion version,
                                   size_t* statements, const DecodeLimits& limits) {
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, path));
  const json::value* type = Member(*o, "type");
  if (!type) return Bad(Path(path, "type"), "missing");
  CL_ASSIGN_OR_RETURN(std::string t, GetString(*type, Path(path, "type")));
  using Type = StreamRequest::Type;
  StreamRequest r;
  auto count_one = [&]() -> Status {
    if (++*statements > limits.max_statements) {
      return Bad(path, "more than " + std::to_string(limits.max_statements) +
                           " statements in one request");
    }
    return Status::Ok();
  };
  if (t == "close") {
    r.type = Type::kClose;
  } else if (t == "execute") {
    r.type = Type::kExecute;
    CL_RETURN_IF_ERROR(count_one());
    const json::value* stmt = Member(*o, "stmt");
    if (!stmt) return Bad(Path(path, "stmt"), "missing");
    CL_ASSIGN_OR_RETURN(r.stmt, ParseStmt(*stmt, Path(path, "stmt")));
  } else if (t == "batch") {
    r.type = Type::kBatch;
    const json::value* batch = Member(*o, "batch");
    if (!batch) return Bad(Path(path, "batch"), "missing");
    CL_ASSIGN_OR_RETURN(r.batch,
                        ParseBatch(*batch, Path(path, "batch"), version, statements, limits));
  } else if (t == "sequence" || t == "describe") {
    r.type = t == "sequence" ? Type::kSequence : Type::kDescribe;
    CL_RETURN_IF_ERROR(count_one());
    CL_RETURN_IF_ERROR(ParseSqlOrId(*o, path, &r.sql, &r.sql_id));
  } else if (t == "store_sql") {
    r.type = Type::kStoreSql;
    CL_ASSIGN_OR_RETURN(r.sql, OptionalString(*o, "sql", path));
    CL_ASSIGN_OR_RETURN(r.sql_id, OptionalSqlId(*o, path));
    if (!r.sql) return Bad(Path(path, "sql"), "missing");
    if (!r.sql_id) return Bad(Path(path, "sql_id"), "missing");
  } else if (t == "close_sql") {
    r.type = Type::kCloseSql;
    CL_ASSIGN_OR_RETURN(r.sql_id, OptionalSqlId(*o, path));
    if (!r.sql_id) return Bad(Path(path, "sql_id"), "missing");
  } else if (t == "get_autocommit") {
    if (version == HranaVersion::k2) {
      return Bad(Path(path, "type"), "\"get_autocommit\" is Hrana 3: use /v3/pipeline");
    }
    r.type = Type::kGetAutocommit;
  } else {
    return Bad(Path(path, "type"), "unknown request type \"" + t + "\"");
  }
  return r;
}

// Builds the tree json::parse builds, but with every double read again from its text by
// std::from_chars, which rounds exactly: Boost.JSON 1.81 reads a decimal into the nearest double
// only most of the time, and a client's float was bound one unit in the last place off.
class ExactNumbers {
 public:
  static constexpr size_t max_object_size = json::object::max_size();
  static constexpr size_t max_array_size = json::array::max_size();
  static constexpr size_t max_key_size = json::string::max_size();
  static constexpr size_t max_string_size = json::string::max_size();

  // The parse's temporaries (the constructor's) and the tree (reset's) both in `sp`.
  explicit ExactNumbers(json::storage_ptr sp) : stack_(sp) { stack_.reset(std::move(sp)); }
  json::value Release() { return stack_.release(); }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) { return true; }
  bool on_object_end(size_t n, boost::system::error_code&) {
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(size_t n, boost::system::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, size_t, boost::system::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, size_t, boost::system::error_code&) {
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, size_t, boost::system::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, size_t, boost::system::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, boost::system::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, boost::system::error_code&) {
    number_.clear();
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, boost::system::error_code&) {
    number_.clear();
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, boost::system::error_code&) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const auto [end, error] =
        std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    // Out of range (1e999): the parser's infinity or zero stands.
    if (error == std::errc() && end == number_.data() + number_.size()) d = exact;
    number_.clear();
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(boost::system::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  json::value_stack stack_;
  std::string number_;  // the parts of a number not yet complete
};

// The parsed body is only read, and dropped once decoded into the request's own structs: a
// monotonic resource (`arena`) makes its many small allocations one or a few, and freeing it one
// (about a fifth of a point query's instructions went to allocating and freeing its nodes).
Result<json::value> ParseJson(std::string_view body, json::monotonic_resource* arena) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::basic_parser<ExactNumbers> parser(options, json::storage_ptr(arena));
  boost::system::error_code ec;
  const size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && used < body.size()) ec = json::error::extra_data;
  if (ec) return Status::InvalidArgument("the body is not valid JSON: " + ec.message());
  return parser.handler().Release();
}

Result<std::optional<std::string>> ParseBaton(const json::object& o) {
  return OptionalString(o, "baton", "body");
}

}  // namespace

std::string_view TypeName(StreamRequest::Type type) {
  switch (type) {
    case StreamRequest::Type::kClose:
      return "close";
    case StreamRequest::Type::kExecute:
      return "execute";
    case StreamRequest::Type::kBatch:
      return "batch";
    case StreamRequest::Type::kSequence:
      return "sequence";
    case StreamRequest::Type::kDescribe:
      return "describe";
    case StreamRequest::Type::kStoreSql:
      return "store_sql";
    case StreamRequest::Type::kCloseSql:
      return "close_sql";
    case StreamRequest::Type::kGetAutocommit:
      return "get_autocommit";
  }
  return "unknown";
}

Result<PipelineRequest> ParsePipeline(std::string_view body, HranaVersion version,
                                      const DecodeLimits& limits) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  CL_ASSIGN_OR_RETURN(json::value v, ParseJson(body, &arena));
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, "body"));
  PipelineRequest p;
  CL_ASSIGN_OR_RETURN(p.baton, ParseBaton(*o));
  const json::value* requests = Member(*o, "requests");
  if (!requests) return Bad("body.requests", "missing");
  CL_ASSIGN_OR_RETURN(const json::array* a, GetArray(*requests, "body.requests"));
  size_t statements = 0;
  const Path requests_root("requests");
  for (size_t i = 0; i < a->size(); i++) {
    CL_ASSIGN_OR_RETURN(StreamRequest r, ParseRequest((*a)[i], Path(requests_root, i), version,
                                                      &statements, limits));
    p.requests.push_back(std::move(r));
  }
  return p;
}

Result<CursorRequest> ParseCursor(std::string_view body, const DecodeLimits& limits) {
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  CL_ASSIGN_OR_RETURN(json::value v, ParseJson(body, &arena));
  CL_ASSIGN_OR_RETURN(const json::object* o, AsObject(v, "body"));
  CursorRequest c;
  CL_ASSIGN_OR_RETURN(c.baton, ParseBaton(*o));
  const json::value* batch = Member(*o, "batch");
  if (!batch) return Bad("body.batch", "missing");
  size_t statements = 0;
  CL_ASSIGN_OR_RETURN(c.batch, ParseBatch(*batch, "batch", HranaVersion::k3, &statements, limits));
  return c;
}

namespace {

template <typename Number>
void AppendNumber(Number n, std::string* out) {
  char digits[32];
  out->append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

void AppendNullable(const std::optional<std::string>& text, std::string* out) {
  if (text) {
    AppendJsonString(*text, out);
  } else {
    out->append("null"sv);
  }
}

void AppendOptionalInteger(const std::optional<int64_t>& n, std::string* out) {
  if (!n) {
    out->append("null"sv);
    return;
  }
  out->push_back('"');
  AppendNumber(*n, out);
  out->push_back('"');
}

}  // namespace

void AppendValue(const Value& value, std::string* out) {
  if (std::holds_alternative<std::nullptr_t>(value)) {
    out->append(R"({"type":"null"})"sv);
  } else if (const int64_t* n = std::get_if<int64_t>(&value)) {
    out->append(R"({"type":"integer","value":")"sv);
    AppendNumber(*n, out);
    out->append("\"}"sv);
  } else if (const double* d = std::get_if<double>(&value)) {
    out->append(R"({"type":"float","value":)"sv);
    if (std::isfinite(*d)) {
      const size_t start = out->size();
      AppendNumber(*d, out);
      // A float stays a float to a typed reader (serde_json in sqld writes 42.0 too).
      if (out->find_first_of(".e", start) == std::string::npos) out->append(".0"sv);
    } else {
      out->append(*d > 0 ? "1e999"sv : "-1e999"sv);  // SQLite has no NaN: it stores NULL
    }
    out->push_back('}');
  } else if (const std::string* s = std::get_if<std::string>(&value)) {
    out->append(R"({"type":"text","value":)"sv);
    AppendJsonString(*s, out);
    out->push_back('}');
  } else {
    out->append(R"({"type":"blob","base64":")"sv);
    out->append(Base64Encode(std::get<Blob>(value).bytes, Base64Alphabet::kStandard,
                             Base64Padding::kUnpadded));
    out->append("\"}"sv);
  }
}

namespace {

// [{"name":..,"decltype":..},...]
void AppendCols(const std::vector<Column>& cols, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < cols.size(); i++) {
    if (i) out->push_back(',');
    out->append(R"({"name":)"sv);
    AppendNullable(cols[i].name, out);
    out->append(R"(,"decltype":)"sv);
    AppendNullable(cols[i].declared_type, out);
    out->push_back('}');
  }
  out->push_back(']');
}

// [value, ...] of row `row`.
void AppendRow(const StmtResult& result, size_t row, std::string* out) {
  out->push_back('[');
  const size_t width = result.cols.size();
  for (size_t i = 0; i < width; i++) {
    if (i) out->push_back(',');
    AppendValue(result.values[row * width + i], out);
  }
  out->push_back(']');
}

// "affected_row_count":N,"last_insert_rowid":..
void AppendChanges(const StmtResult& result, std::string* out) {
  out->append(R"("affected_row_count":)"sv);
  AppendNumber(result.affected_row_count, out);
  out->append(R"(,"last_insert_rowid":)"sv);
  AppendOptionalInteger(result.last_insert_rowid, out);
}

// {"cols":[...],"rows":[[...],...],"affected_row_count":N,"last_insert_rowid":"N" or null}
void AppendStmtResult(const StmtResult& result, std::string* out) {
  out->append(R"({"cols":)"sv);
  AppendCols(result.cols, out);
  out->append(R"(,"rows":[)"sv);
  for (size_t row = 0; row < result.row_count(); row++) {
    if (row) out->push_back(',');
    AppendRow(result, row, out);
  }
  out->append("],"sv);
  AppendChanges(result, out);
  out->push_back('}');
}

// {"message":..,"code":..}
void AppendError(const HranaError& error, std::string* out) {
  out->append(R"({"message":)"sv);
  AppendJsonString(error.message, out);
  out->append(R"(,"code":)"sv);
  AppendJsonString(error.code, out);
  out->push_back('}');
}

void AppendBatchResult(const BatchResult& batch, std::string* out) {
  out->append(R"({"step_results":[)"sv);
  for (size_t i = 0; i < batch.step_results.size(); i++) {
    if (i) out->push_back(',');
    if (batch.step_results[i]) {
      AppendStmtResult(*batch.step_results[i], out);
    } else {
      out->append("null"sv);
    }
  }
  out->append(R"(],"step_errors":[)"sv);
  for (size_t i = 0; i < batch.step_errors.size(); i++) {
    if (i) out->push_back(',');
    if (batch.step_errors[i]) {
      AppendError(*batch.step_errors[i], out);
    } else {
      out->append("null"sv);
    }
  }
  out->append("]}"sv);
}

void AppendDescribeResult(const DescribeResult& d, std::string* out) {
  out->append(R"({"params":[)"sv);
  for (size_t i = 0; i < d.params.size(); i++) {
    out->append(i ? R"(,{"name":)"sv : R"({"name":)"sv);
    AppendNullable(d.params[i], out);
    out->push_back('}');
  }
  out->append(R"(],"cols":)"sv);
  AppendCols(d.cols, out);
  out->append(R"(,"is_explain":)"sv);
  out->append(d.is_explain ? "true"sv : "false"sv);
  out->append(R"(,"is_readonly":)"sv);
  out->append(d.is_readonly ? "true"sv : "false"sv);
  out->push_back('}');
}

// {"type":"ok","response":{"type":..,...}} or {"type":"error","error":{...}}
void AppendStreamResult(const StreamResult& result, std::string* out) {
  if (const auto* e = std::get_if<HranaError>(&result)) {
    out->append(R"({"type":"error","error":)"sv);
    AppendError(*e, out);
    out->push_back('}');
    return;
  }
  const StreamResponse& r = std::get<StreamResponse>(result);
  out->append(R"({"type":"ok","response":{"type":")"sv);
  out->append(TypeName(r.type));
  out->push_back('"');
  if (const auto* s = std::get_if<StmtResult>(&r.result)) {
    out->append(R"(,"result":)"sv);
    AppendStmtResult(*s, out);
  } else if (const auto* b = std::get_if<BatchResult>(&r.result)) {
    out->append(R"(,"result":)"sv);
    AppendBatchResult(*b, out);
  } else if (const auto* d = std::get_if<DescribeResult>(&r.result)) {
    out->append(R"(,"result":)"sv);
    AppendDescribeResult(*d, out);
  } else if (const bool* autocommit = std::get_if<bool>(&r.result)) {
    out->append(R"(,"is_autocommit":)"sv);
    out->append(*autocommit ? "true"sv : "false"sv);
  }
  out->append("}}"sv);
}

// {"baton":..,"base_url":.. (left open)
std::string StreamMembers(const std::optional<std::string>& baton,
                          const std::optional<std::string>& base_url) {
  std::string out;
  out.reserve(512);
  out.append(R"({"baton":)"sv);
  AppendNullable(baton, &out);
  out.append(R"(,"base_url":)"sv);
  AppendNullable(base_url, &out);
  return out;
}

}  // namespace

void AppendCursorEntries(size_t step, const std::optional<StmtResult>& result,
                         const std::optional<HranaError>& error, std::vector<std::string>* lines) {
  if (error) {
    std::string& line = lines->emplace_back(R"({"type":"step_error","step":)"sv);
    AppendNumber(step, &line);
    line.append(R"(,"error":)"sv);
    AppendError(*error, &line);
    line.push_back('}');
  }
  if (!result) return;
  std::string& begin = lines->emplace_back(R"({"type":"step_begin","step":)"sv);
  AppendNumber(step, &begin);
  begin.append(R"(,"cols":)"sv);
  AppendCols(result->cols, &begin);
  begin.push_back('}');
  for (size_t row = 0; row < result->row_count(); row++) {
    std::string& line = lines->emplace_back(R"({"type":"row","row":)"sv);
    AppendRow(*result, row, &line);
    line.push_back('}');
  }
  std::string& end = lines->emplace_back(R"({"type":"step_end",)"sv);
  AppendChanges(*result, &end);
  end.push_back('}');
}

std::string CursorHead(const std::optional<std::string>& baton,
                       const std::optional<std::string>& base_url) {
  return StreamMembers(baton, base_url) + "}";
}

std::string PipelineBody(const std::optional<std::string>& baton,
                         const std::optional<std::string>& base_url,
                         const std::vector<StreamResult>& results) {
  std::string out = StreamMembers(baton, base_url);
  out.append(R"(,"results":[)"sv);
  for (size_t i = 0; i < results.size(); i++) {
    if (i) out.push_back(',');
    AppendStreamResult(results[i], &out);
  }
  out.append("]}"sv);
  return out;
}

}  // namespace cloudlite::server::sql
