// Hrana over HTTP, the JSON encoding (tursodatabase/libsql docs/HRANA_3_SPEC.md and
// docs/HTTP_V2_SPEC.md): request bodies decoded into plain structs, values and results encoded
// back. Decoding is the only place bytes from a client are parsed (fuzz/hrana_fuzz.cc); it
// checks every type and names the first problem by its JSON path.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlite/database.h"
#include "cloudlite/status.h"

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

// {"type":"integer","value":"42"}, ... ; blobs as standard base64 without padding. Made in `sp`.
boost::json::object EncodeValue(const Value& value, const boost::json::storage_ptr& sp = {});
// EncodeValue of a text value held elsewhere (SQLite's column buffer), copied only into `sp`.
boost::json::object EncodeText(std::string_view text, const boost::json::storage_ptr& sp = {});

}  // namespace cloudlite::server::sql
