#include "server/sql/literals.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace cloudlite::server::sql {

namespace {

// SQLite's tokens (tokenize.c), as far as lifting needs them.
enum class Kind {
  kSpace,       // white space and comments
  kWord,        // keyword or identifier
  kQuotedName,  // "x", `x`, [x]: never a value here
  kString,      // 'x'
  kInteger,     // decimal digits only
  kNumber,      // any other numeric literal (real, hex)
  kBlob,        // x'..'
  kParameter,   // ?, ?N, :x, @x, $x, #x
  kComparison,  // = == != <> < <= > >=
  kArithmetic,  // + - * / % || & | << >>
  kOpen,
  kClose,
  kSemicolon,
  kOther,  // other operators (, . ~ -> ->>) and punctuation
  kBad,    // what SQLite would not tokenize (unterminated, illegal)
};

struct Token {
  Kind kind;
  std::string_view text;
};

// ASCII classes as SQLite's tokenizer has them (its own tables, whatever the C locale says).
constexpr bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
constexpr bool IsAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool IsXDigit(unsigned char c) {
  return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
constexpr char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool IsIdStart(unsigned char c) { return IsAlpha(c) || c == '_' || c >= 0x80; }

// Where the quoted run that starts at sql[i] (a quote char `close`) ends, past its closing
// quote; a doubled quote is part of the run. npos when it is not closed.
size_t QuotedEnd(std::string_view sql, size_t i, char close) {
  for (size_t j = i + 1; j < sql.size(); j++) {
    if (sql[j] != close) continue;
    if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
      j++;
      continue;
    }
    return j + 1;
  }
  return std::string_view::npos;
}

Token Next(std::string_view sql, size_t i) {
  const auto at = [&](size_t k) -> unsigned char { return k < sql.size() ? sql[k] : 0; };
  const unsigned char c = at(i);
  auto token = [&](Kind kind, size_t end) { return Token{kind, sql.substr(i, end - i)}; };
  auto quoted = [&](Kind kind, char close) {
    size_t end = QuotedEnd(sql, i, close);
    return end == std::string_view::npos ? token(Kind::kBad, sql.size()) : token(kind, end);
  };
  // One switch on the first character (a jump table), as SQLite's tokenizer classifies it.
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\f':
    case '\r':
      return token(Kind::kSpace, i + 1);
    case '-':
      if (at(i + 1) == '-') {
        size_t end = sql.find('\n', i);
        return token(Kind::kSpace, end == std::string_view::npos ? sql.size() : end + 1);
      }
      if (at(i + 1) == '>') return token(Kind::kOther, at(i + 2) == '>' ? i + 3 : i + 2);
      return token(Kind::kArithmetic, i + 1);
    case '/':
      if (at(i + 1) == '*') {
        size_t end = sql.find("*/", i + 2);
        return token(Kind::kSpace, end == std::string_view::npos ? sql.size() : end + 2);
      }
      return token(Kind::kArithmetic, i + 1);
    case '\'':
      return quoted(Kind::kString, '\'');
    case '"':
      return quoted(Kind::kQuotedName, '"');
    case '`':
      return quoted(Kind::kQuotedName, '`');
    case '[':
      return quoted(Kind::kQuotedName, ']');
    case '?':
    case ':':
    case '@':
    case '$':
    case '#': {
      size_t j = i + 1;
      while (IsIdentifierChar(at(j))) j++;
      return token(Kind::kParameter, j);
    }
    case '=':
      return token(Kind::kComparison, at(i + 1) == '=' ? i + 2 : i + 1);
    case '!':
      return at(i + 1) == '=' ? token(Kind::kComparison, i + 2) : token(Kind::kBad, sql.size());
    case '<':
      if (at(i + 1) == '=' || at(i + 1) == '>') return token(Kind::kComparison, i + 2);
      if (at(i + 1) == '<') return token(Kind::kArithmetic, i + 2);
      return token(Kind::kComparison, i + 1);
    case '>':
      if (at(i + 1) == '=') return token(Kind::kComparison, i + 2);
      if (at(i + 1) == '>') return token(Kind::kArithmetic, i + 2);
      return token(Kind::kComparison, i + 1);
    case '(':
      return token(Kind::kOpen, i + 1);
    case ')':
      return token(Kind::kClose, i + 1);
    case ';':
      return token(Kind::kSemicolon, i + 1);
    case '|':
      return token(Kind::kArithmetic, at(i + 1) == '|' ? i + 2 : i + 1);
    case '+':
    case '*':
    case '%':
    case '&':
      return token(Kind::kArithmetic, i + 1);
    case '~':
    case ',':
      return token(Kind::kOther, i + 1);
    case 'x':
    case 'X':
      if (at(i + 1) == '\'') {
        size_t end = QuotedEnd(sql, i + 1, '\'');
        return end == std::string_view::npos ? token(Kind::kBad, sql.size())
                                             : token(Kind::kBlob, end);
      }
      break;
    case '.':
      if (!IsDigit(at(i + 1))) return token(Kind::kOther, i + 1);
      break;
    default:
      break;
  }
  if (IsDigit(c) || c == '.') {
    size_t j = i;
    bool integer = true;
    if (c == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X')) {
      integer = false;
      j += 2;
      while (IsXDigit(at(j))) j++;
    } else {
      while (IsDigit(at(j))) j++;
      if (at(j) == '.') {
        integer = false;
        j++;
        while (IsDigit(at(j))) j++;
      }
      if ((at(j) == 'e' || at(j) == 'E') &&
          (IsDigit(at(j + 1)) || ((at(j + 1) == '+' || at(j + 1) == '-') && IsDigit(at(j + 2))))) {
        integer = false;
        j += 2;
        while (IsDigit(at(j))) j++;
      }
    }
    // SQLite refuses a number run into a name ("12abc").
    if (IsIdentifierChar(at(j))) return token(Kind::kBad, sql.size());
    return token(integer ? Kind::kInteger : Kind::kNumber, j);
  }
  if (IsIdStart(c)) {
    size_t j = i + 1;
    while (IsIdentifierChar(at(j))) j++;
    return token(Kind::kWord, j);
  }
  return token(Kind::kBad, sql.size());
}

// What ends the top-level WHERE clause of a SELECT.
bool EndsWhere(std::string_view word) {
  for (std::string_view k : {"GROUP", "ORDER", "LIMIT", "WINDOW", "HAVING"}) {
    if (IsKeyword(word, k)) return true;
  }
  return false;
}

std::string Unquote(std::string_view quoted) {
  std::string out;
  out.reserve(quoted.size() - 2);
  for (size_t i = 1; i + 1 < quoted.size(); i++) {
    out.push_back(quoted[i]);
    if (quoted[i] == '\'') i++;  // '' stands for '
  }
  return out;
}

}  // namespace

bool IsIdentifierChar(unsigned char c) {
  return IsAlpha(c) || IsDigit(c) || c == '_' || c == '$' || c >= 0x80;
}

bool IsKeyword(std::string_view word, std::string_view keyword) {
  return word.size() == keyword.size() && std::equal(word.begin(), word.end(), keyword.begin(),
                                                     [](char a, char b) { return Upper(a) == b; });
}

namespace {

// Builds a LiftedSql from the text, one literal at a time, in order.
class Lifter {
 public:
  explicit Lifter(std::string_view sql) : sql_(sql) { out_.sql.reserve(sql.size()); }

  // Whether `t` is a literal that lifts to one value: a string, or an
  // integer of up to 18 digits (always an INTEGER, as SQLite reads it).
  static bool Liftable(const Token& t) {
    return t.kind == Kind::kString || (t.kind == Kind::kInteger && t.text.size() <= 18);
  }
  void Lift(const Token& t, size_t start) {
    out_.sql.append(sql_.substr(copied_, start - copied_)).push_back('?');
    copied_ = start + t.text.size();
    if (t.kind == Kind::kString) {
      out_.values.emplace_back(Unquote(t.text));
    } else {
      int64_t n = 0;
      for (char d : t.text) n = n * 10 + (d - '0');
      out_.values.emplace_back(n);
    }
  }
  std::optional<LiftedSql> Finish(bool plan_may_differ) {
    if (out_.values.empty()) return std::nullopt;
    out_.sql.append(sql_.substr(copied_));
    out_.plan_may_differ = plan_may_differ;
    return std::move(out_);
  }

 private:
  const std::string_view sql_;
  LiftedSql out_;
  size_t copied_ = 0;  // sql_[0, copied_) is in out_.sql
};

// The text's tokens but blanks and comments, each with where it starts; false (stop) from `fn`
// or a token SQLite would judge for itself (bad, a parameter, a second statement) ends it:
// false then.
template <typename Fn>
bool ForEachToken(std::string_view sql, Fn fn) {
  bool ended = false;  // by a semicolon at the top level
  int depth = 0;
  for (size_t i = 0; i < sql.size();) {
    const Token t = Next(sql, i);
    const size_t start = i;
    i += t.text.size();
    if (t.kind == Kind::kSpace) continue;
    if (t.kind == Kind::kBad || t.kind == Kind::kParameter || ended) return false;
    if (t.kind == Kind::kOpen) depth++;
    if (t.kind == Kind::kClose && --depth < 0) return false;
    if (t.kind == Kind::kSemicolon) {
      if (depth != 0) return false;
      ended = true;
    }
    if (!fn(t, start, depth)) return false;
  }
  return depth == 0;
}

bool IsComma(const Token& t) { return t.kind == Kind::kOther && t.text == ","; }

// A SELECT's top-level WHERE.
std::optional<LiftedSql> LiftFromSelect(std::string_view sql) {
  enum class Part { kColumns, kWhere, kAfterWhere } part = Part::kColumns;
  Lifter lifter(sql);
  bool first = true;
  Kind previous = Kind::kSpace;  // the last token
  const bool whole = ForEachToken(sql, [&](const Token& t, size_t start, int depth) {
    if (std::exchange(first, false)) {
      previous = t.kind;
      return true;  // SELECT itself
    }
    if (t.kind == Kind::kWord) {
      if (IsKeyword(t.text, "SELECT")) return false;  // a subquery or a compound
      if (depth == 0 && part == Part::kColumns && IsKeyword(t.text, "WHERE")) {
        part = Part::kWhere;
      } else if (depth == 0 && part == Part::kWhere && EndsWhere(t.text)) {
        part = Part::kAfterWhere;
      }
    } else if (part == Part::kWhere && Lifter::Liftable(t) &&
               (previous == Kind::kComparison || previous == Kind::kArithmetic)) {
      lifter.Lift(t, start);
    }
    previous = t.kind;
    return true;
  });
  return whole ? lifter.Finish(/*plan_may_differ=*/true) : std::nullopt;
}

// An INSERT's VALUES rows; each element that is a literal alone.
std::optional<LiftedSql> LiftFromInsert(std::string_view sql) {
  enum class Part { kHead, kRows, kAfterRows } part = Part::kHead;
  Lifter lifter(sql);
  Token previous{Kind::kSpace, {}};
  // A literal that follows a row's `(` or `,`, lifted if a `,` or `)` follows it.
  std::optional<std::pair<Token, size_t>> candidate;
  const bool whole = ForEachToken(sql, [&](const Token& t, size_t start, int depth) {
    if (candidate && (IsComma(t) || t.kind == Kind::kClose)) {
      lifter.Lift(candidate->first, candidate->second);
    }
    candidate.reset();
    if (t.kind == Kind::kWord && IsKeyword(t.text, "SELECT")) {
      return part == Part::kAfterRows;  // INSERT ... SELECT, or a subquery in a row
    }
    switch (part) {
      case Part::kHead:
        if (depth == 0 && t.kind == Kind::kWord && IsKeyword(t.text, "VALUES")) part = Part::kRows;
        break;
      case Part::kRows:
        if (depth == 0 && t.kind != Kind::kClose && !IsComma(t)) {  // past the last row
          part = Part::kAfterRows;
        } else if (depth == 1 && Lifter::Liftable(t) &&
                   (previous.kind == Kind::kOpen || IsComma(previous))) {
          candidate.emplace(t, start);
        }
        break;
      case Part::kAfterRows:
        break;
    }
    previous = t;
    return true;
  });
  return whole ? lifter.Finish(/*plan_may_differ=*/false) : std::nullopt;
}

}  // namespace

std::optional<LiftedSql> LiftLiterals(std::string_view sql) {
  // SQLite reads SQL up to a NUL, wherever it is (even in a comment): leave such text to it.
  if (sql.find('\0') != std::string_view::npos) return std::nullopt;
  for (size_t i = 0; i < sql.size();) {
    const Token t = Next(sql, i);
    i += t.text.size();
    if (t.kind == Kind::kSpace) continue;
    if (t.kind != Kind::kWord) return std::nullopt;
    if (IsKeyword(t.text, "SELECT")) return LiftFromSelect(sql);
    if (IsKeyword(t.text, "INSERT") || IsKeyword(t.text, "REPLACE")) return LiftFromInsert(sql);
    return std::nullopt;
  }
  return std::nullopt;
}

LiteralSharing::~LiteralSharing() { Clear(); }

void LiteralSharing::Clear() {
  sqlite3_finalize(cookie_);
  cookie_ = nullptr;
  known_cookie_ = -1;
}

bool LiteralSharing::Allowed(sqlite3* db) {
  if (!cookie_ &&
      sqlite3_prepare_v2(db, "PRAGMA main.schema_version", -1, &cookie_, nullptr) != SQLITE_OK) {
    return false;
  }
  sqlite3_reset(cookie_);
  if (sqlite3_step(cookie_) != SQLITE_ROW) return false;
  const int64_t cookie = sqlite3_column_int64(cookie_, 0);
  sqlite3_reset(cookie_);
  if (cookie == known_cookie_) return allowed_;
  // An index whose use hangs on an expression's text: partial (its WHERE) or on an expression.
  sqlite3_stmt* index = nullptr;
  // Read through pragmas, which the connection's guard (guard.h) lets any reader run.
  const char* kIndexOnText =
      "SELECT 1 FROM pragma_table_list AS t, pragma_index_list(t.name, 'main') AS i, "
      "pragma_index_xinfo(i.name, 'main') AS x "
      "WHERE t.schema = 'main' AND (i.partial OR x.cid = -2) LIMIT 1";
  if (sqlite3_prepare_v2(db, kIndexOnText, -1, &index, nullptr) != SQLITE_OK) return false;
  const int rc = sqlite3_step(index);
  sqlite3_finalize(index);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return false;
  known_cookie_ = cookie;
  allowed_ = rc == SQLITE_DONE;
  return allowed_;
}

}  // namespace cloudlite::server::sql
