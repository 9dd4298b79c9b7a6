// The Hrana JSON decoder (src/server/sql/hrana_proto.h) on any bytes: a request body of
// /v2/pipeline, /v3/pipeline or /v3/cursor, and base64. Errors are InvalidArgument with a
// message; what decodes keeps the decoder's promises; base64 decodes back to what it encodes.
// Also BeginsWithWrite, which judges SQL (and the fast path's look at a raw body) unparsed, and
// LiftLiterals (src/server/sql/literals.h), which rewrites a read's or an insert's SQL.
#include <sqlite3.h>

#include "base/base64.h"
#include "fuzz_util.h"
#include "server/sql/hrana_proto.h"
#include "server/sql/literals.h"
#include "server/sql/session.h"

using namespace cloudlite;
using namespace cloudlite::server::sql;

namespace {

void CheckStmt(const Stmt& s) { FUZZ_CHECK(s.sql.has_value() != s.sql_id.has_value()); }

void CheckCond(const BatchCond& c, uint32_t step) {
  if (c.kind == BatchCond::Kind::kOk || c.kind == BatchCond::Kind::kError) {
    FUZZ_CHECK(c.step < step);
  }
  if (c.kind == BatchCond::Kind::kNot) FUZZ_CHECK(c.conds.size() == 1);
  for (const BatchCond& inner : c.conds) CheckCond(inner, step);
}

void CheckBatch(const Batch& b) {
  for (size_t i = 0; i < b.steps.size(); i++) {
    CheckStmt(b.steps[i].stmt);
    if (b.steps[i].condition) CheckCond(*b.steps[i].condition, static_cast<uint32_t>(i));
  }
}

// A lifted text is a statement SQLite prepares whenever it prepares the client's: the same
// columns, one parameter per value, and nothing left to lift.
void CheckLifted(std::string_view sql) {
  std::optional<LiftedSql> lifted = LiftLiterals(sql);
  if (!lifted) return;
  FUZZ_CHECK(!lifted->values.empty());
  FUZZ_CHECK(!LiftLiterals(lifted->sql));
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    sqlite3_open(":memory:", &d);
    sqlite3_exec(d, "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c)", nullptr, nullptr, nullptr);
    return d;
  }();
  sqlite3_stmt* original = nullptr;
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &original, nullptr) !=
          SQLITE_OK ||
      original == nullptr) {
    return;
  }
  sqlite3_stmt* shared = nullptr;
  FUZZ_CHECK(sqlite3_prepare_v2(db, lifted->sql.c_str(), -1, &shared, nullptr) == SQLITE_OK &&
             shared != nullptr);
  FUZZ_CHECK(sqlite3_bind_parameter_count(shared) == static_cast<int>(lifted->values.size()));
  FUZZ_CHECK(sqlite3_column_count(shared) == sqlite3_column_count(original));
  for (int i = 0; i < sqlite3_column_count(shared); i++) {
    FUZZ_CHECK(std::string_view(sqlite3_column_name(shared, i)) ==
               std::string_view(sqlite3_column_name(original, i)));
  }
  sqlite3_finalize(shared);
  sqlite3_finalize(original);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body = fuzz::Bytes(data, size);
  DecodeLimits limits;
  limits.max_statements = 50;
  for (HranaVersion v : {HranaVersion::k2, HranaVersion::k3}) {
    Result<PipelineRequest> p = ParsePipeline(body, v, limits);
    if (!p.ok()) {
      FUZZ_CHECK(p.status().code() == Status::Code::kInvalidArgument);
      FUZZ_CHECK(!p.status().message().empty());
      continue;
    }
    size_t statements = 0;
    for (const StreamRequest& r : p->requests) {
      if (r.type == StreamRequest::Type::kExecute) CheckStmt(r.stmt), statements++;
      if (r.type == StreamRequest::Type::kBatch)
        CheckBatch(r.batch), statements += r.batch.steps.size();
      if (r.type == StreamRequest::Type::kGetAutocommit) FUZZ_CHECK(v == HranaVersion::k3);
      if (r.type == StreamRequest::Type::kStoreSql) FUZZ_CHECK(r.sql && r.sql_id);
    }
    FUZZ_CHECK(statements <= limits.max_statements);
  }
  Result<CursorRequest> c = ParseCursor(body, limits);
  if (c.ok()) CheckBatch(c->batch);

  // BeginsWithWrite says "write" only of text that starts, after whitespace, with one of its
  // four keywords in any case.
  if (BeginsWithWrite(body)) {
    std::string head(body.substr(body.find_first_not_of(" \t\n\f\r"), 7));
    for (char& ch : head) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
    FUZZ_CHECK(head.rfind("INSERT", 0) == 0 || head.rfind("UPDATE", 0) == 0 ||
               head.rfind("DELETE", 0) == 0 || head.rfind("REPLACE", 0) == 0);
  }

  CheckLifted(body);

  // base/base64.h, which Hrana blobs and batons use: what decodes re-encodes to text that
  // decodes to the same bytes, and any bytes survive a round trip, in each alphabet and padding.
  for (Base64Alphabet alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrl}) {
    for (Base64Padding padding : {Base64Padding::kPadded, Base64Padding::kUnpadded}) {
      std::string decoded;
      if (Base64Decode(body, &decoded, alphabet, padding)) {
        std::string again;
        FUZZ_CHECK(
            Base64Decode(Base64Encode(decoded, alphabet, padding), &again, alphabet, padding) &&
            again == decoded);
      }
      std::string round;
      FUZZ_CHECK(Base64Decode(Base64Encode(body, alphabet, padding), &round, alphabet, padding) &&
                 round == body);
    }
  }
  return 0;
}
