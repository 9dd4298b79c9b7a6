// Hrana over HTTP, the JSON encoding (tursodatabase/libsql docs/HRANA_3_SPEC.md and
// docs/HTTP_V2_SPEC.md): request bodies decoded into plain structs, values and results encoded
// back. Decoding is the only place bytes from a client are parsed (fuzz/hrana_fuzz.cc); it
// checks every type and names the first problem by its JSON path. Results are plain structs too,
// written as JSON text straight into the response body (no JSON tree: building one and
// serializing it was a sixth of a point query's instructions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"
#include "server/sql/errors.h"

namespace cloudlite::server::sql {

enum class HranaVersion { k2, k3 };

struct Stmt {
  std::optional<std::string> sql;  // exactly one of sql and sql_id
  std::optional<int32_t> sql_id;
  std::vector<Value> args;                                // ?, ?NNN
  std::vector<std::pair<std::string, Value>> named_args;  // :a, @a, $a (prefix optional)
  bool want_rows = true;
};

struct BatchCond {
  enum class Kind { kOk, kError, kNot, kAnd, kOr, kIsAutocommit };
  Kind kind = Kind::kOk;
  uint32_t step = 0;             // kOk, kError
  std::vector<BatchCond> conds;  // kNot (one), kAnd, kOr
};

struct BatchStep {
  std::optional<BatchCond> condition;
  Stmt stmt;
};

struct Batch {
  std::vector<BatchStep> steps;
};

struct StreamRequest {
  enum class Type {
    kClose,
    kExecute,
    kBatch,
    kSequence,
    kDescribe,
    kStoreSql,
    kCloseSql,
    kGetAutocommit,  // Hrana 3 only
  };
  Type type = Type::kClose;
  Stmt stmt;                       // kExecute
  Batch batch;                     // kBatch
  std::optional<std::string> sql;  // kSequence, kDescribe, kStoreSql
  std::optional<int32_t> sql_id;   // kSequence, kDescribe, kStoreSql, kCloseSql
};

struct PipelineRequest {
  std::optional<std::string> baton;  // absent or null: a new stream
  std::vector<StreamRequest> requests;
};

struct CursorRequest {
  std::optional<std::string> baton;
  Batch batch;
};

// Bounds the decoder enforces (the rest are the executor's).
struct DecodeLimits {
  size_t max_statements = 1000;  // execute, describe, sequence count one; a batch its steps
};

// The type name of a request ("execute", ...), as responses repeat it.
std::string_view TypeName(StreamRequest::Type type);

// InvalidArgument naming the problem (its JSON path and what was expected) for malformed JSON,
// a wrong type, an unknown request or condition type, or a request Hrana 2 does not have.
Result<PipelineRequest> ParsePipeline(std::string_view body, HranaVersion version,
                                      const DecodeLimits& limits);
Result<CursorRequest> ParseCursor(std::string_view body, const DecodeLimits& limits);

// A column of a statement: its name and declared type, each null when SQLite has none.
struct Column {
  std::optional<std::string> name;
  std::optional<std::string> declared_type;
};

// What an execute (or a batch step) returned.
struct StmtResult {
  std::vector<Column> cols;
  std::vector<Value> values;  // the rows, one after the other, cols.size() values each
  int64_t affected_row_count = 0;
  std::optional<int64_t> last_insert_rowid;  // null for a statement that only reads

  size_t row_count() const { return cols.empty() ? 0 : values.size() / cols.size(); }
};

struct BatchResult {
  // One of each per step, both empty for a step that did not run.
  std::vector<std::optional<StmtResult>> step_results;
  std::vector<std::optional<HranaError>> step_errors;
};

struct DescribeResult {
  std::vector<std::optional<std::string>> params;  // names, null for a nameless ?
  std::vector<Column> cols;
  bool is_explain = false;
  bool is_readonly = false;
};

// The response to one stream request: its type, and what that type carries.
struct StreamResponse {
  StreamRequest::Type type = StreamRequest::Type::kClose;
  // kExecute, kBatch, kDescribe, kGetAutocommit (is_autocommit); nothing for the others.
  std::variant<std::monostate, StmtResult, BatchResult, DescribeResult, bool> result;
};

// {"type":"ok","response":...} or {"type":"error","error":...}.
using StreamResult = std::variant<StreamResponse, HranaError>;

// A value as Hrana writes it, appended to `out`: {"type":"integer","value":"42"}, ...; a float
// as its shortest round-trip decimal with a point or an exponent (42.0; infinities as 1e999 and
// -1e999, which JSON parsers read as such); blobs as standard base64 without padding.
void AppendValue(const Value& value, std::string* out);
// A batch step's entries of a /v3/cursor response, one JSON text each: step_error, or step_begin,
// a row entry per row and step_end.
void AppendCursorEntries(size_t step, const std::optional<StmtResult>& result,
                         const std::optional<HranaError>& error, std::vector<std::string>* lines);
// A pipeline's response body: {"baton":..,"base_url":..,"results":[...]}; null for what is absent.
// A cursor's first line is the same without "results".
std::string PipelineBody(const std::optional<std::string>& baton,
                         const std::optional<std::string>& base_url,
                         const std::vector<StreamResult>& results);
std::string CursorHead(const std::optional<std::string>& baton,
                       const std::optional<std::string>& base_url);

}  // namespace cloudlite::server::sql
