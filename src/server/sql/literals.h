// The values a point query or an insert writes into its SQL, taken out as parameters, so that
// requests that differ only in those values share one prepared statement (StatementCache)
// instead of each preparing its own text: what a client that passes arguments gets already.
// Oracle calls this cursor sharing; SQLite has no plan cache across texts.
//
// Only where it cannot change what the statement does:
// - One SELECT (no subquery, no compound, no parameters of its own), and only a string or
//   integer literal in the top-level WHERE clause that follows a comparison (= == != <> < <= >
//   >=) or an arithmetic operator (+ - * / % || & | << >>). The result columns and their names,
//   ORDER BY, LIMIT, function arguments, IN lists, LIKE patterns and JSON paths keep their text.
//   A bound value has no affinity, as a literal has none, so comparisons convert alike. What
//   may differ is the plan where it hangs on the text itself: SQLite (built without STAT4, as
//   Debian's is) matches a partial index's WHERE and an index on an expression by their text,
//   so the caller shares nothing on a schema that has either (LiteralSharing).
// - One INSERT or REPLACE ... VALUES (no subquery, no parameters of its own), and only a string
//   or integer literal that is a whole element of a VALUES row: the value stored is the
//   literal's, converted by the column's affinity alike. What follows the rows (an upsert's
//   target and SET, RETURNING) keeps its text. An insert has no plan to choose.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudlite/database.h"  // Value

namespace cloudlite::server::sql {

struct LiftedSql {
  std::string sql;               // the text with `?` where each value was
  std::vector<Value> values;     // the values, in order: int64_t or std::string
  bool plan_may_differ = false;  // a SELECT's: shared only where LiteralSharing allows
};

// `sql` with its liftable literals replaced, or nullopt when it has none or is neither such a
// read nor such an insert.
std::optional<LiftedSql> LiftLiterals(std::string_view sql);

// SQLite's lexical rules, for judging SQL text without preparing it (also BeginsWithWrite):
// whether `c` continues an identifier or keyword, and whether `word` is `keyword` (given in
// upper case) in any case.
bool IsIdentifierChar(unsigned char c);
bool IsKeyword(std::string_view word, std::string_view keyword);

// Whether a connection's schema lets lifted SQL share a statement: no partial index and no
// index on an expression. Checked
// inside the read transaction that will run the statement (the schema it sees), remembered per
// schema cookie. One per connection, used by one thread at a time.
class LiteralSharing {
 public:
  LiteralSharing() = default;
  ~LiteralSharing();
  LiteralSharing(const LiteralSharing&) = delete;
  LiteralSharing& operator=(const LiteralSharing&) = delete;

  bool Allowed(sqlite3* db);
  // Finalizes its statements (before the connection closes).
  void Clear();

 private:
  sqlite3_stmt* cookie_ = nullptr;  // PRAGMA schema_version, kept prepared
  int64_t known_cookie_ = -1;
  bool allowed_ = false;
};

}  // namespace cloudlite::server::sql
