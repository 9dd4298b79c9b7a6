#include "cli/output.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <variant>
#include <vector>

#include "base/hex.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

// Keeps one row on one line whatever the text holds.
std::string EscapeControl(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string CellText(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return "";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return FormatReal(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return EscapeControl(*s);
  return "X'" + HexEncode(std::get<Blob>(v).bytes) + "'";
}

bool IsNumber(const Value& v) {
  return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v);
}

// Terminal columns taken by UTF-8 text: one per code point (wide CJK glyphs are rare in
// database output; counting them as one only misaligns, never loses data).
size_t DisplayWidth(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; });
}

void AppendPadded(std::string& line, std::string_view cell, size_t width, bool right) {
  size_t pad = width - std::min(width, DisplayWidth(cell));
  if (right) line.append(pad, ' ');
  line += cell;
  if (!right) line.append(pad, ' ');
}

void TrimRight(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

nlohmann::json ToJson(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return nullptr;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return HexEncode(std::get<Blob>(v).bytes);
}

}  // namespace

std::string FormatReal(double value) {
  // "%!.15g" is what SQLite uses to turn a REAL into TEXT; it keeps the ".0" of whole numbers.
  char* text = sqlite3_mprintf("%!.15g", value);
  std::string out = text != nullptr ? text : "";
  sqlite3_free(text);
  return out;
}

std::string FormatTable(const Rows& rows) {
  if (rows.rows.empty()) return "";
  const size_t ncol = rows.columns.size();
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.rows.size());
  std::vector<size_t> width(ncol);
  std::vector<bool> right(ncol, true);
  std::vector<bool> any_number(ncol, false);
  std::vector<std::string> header(ncol);
  for (size_t c = 0; c < ncol; ++c) {
    header[c] = EscapeControl(rows.columns[c]);
    width[c] = DisplayWidth(header[c]);
  }
  for (const auto& row : rows.rows) {
    auto& line = cells.emplace_back();
    for (size_t c = 0; c < ncol; ++c) {
      const Value& v = c < row.size() ? row[c] : Value(nullptr);
      line.push_back(CellText(v));
      width[c] = std::max(width[c], DisplayWidth(line.back()));
      if (IsNumber(v)) {
        any_number[c] = true;
      } else if (!std::holds_alternative<std::nullptr_t>(v)) {
        right[c] = false;
      }
    }
  }
  for (size_t c = 0; c < ncol; ++c) right[c] = right[c] && any_number[c];

  std::string out;
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t c = 0; c < ncol; ++c) {
      if (c > 0) text += "  ";
      AppendPadded(text, line[c], width[c], right[c]);
    }
    TrimRight(text);
    out += text;
    out += '\n';
  };
  emit(header);
  std::vector<std::string> rule(ncol);
  for (size_t c = 0; c < ncol; ++c) rule[c].assign(std::max<size_t>(width[c], 1), '-');
  emit(rule);
  for (const auto& line : cells) emit(line);
  return out;
}

std::string FormatJson(const Rows& rows) {
  // Built by hand so that keys keep column order (nlohmann::json objects sort keys) and
  // duplicate column names (SELECT 1 AS a, 2 AS a) all appear, as in sqlite3 -json.
  // SQLite does not guarantee valid UTF-8 in TEXT; replace bad bytes rather than throw.
  auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::vector<std::string> keys;
  keys.reserve(rows.columns.size());
  for (const auto& name : rows.columns) keys.push_back(dump(name));
  std::string out = "[";
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    if (r > 0) out += ",\n";
    out += '{';
    const auto& row = rows.rows[r];
    for (size_t c = 0; c < keys.size(); ++c) {
      if (c > 0) out += ',';
      out += keys[c];
      out += ':';
      out += c < row.size() ? dump(ToJson(row[c])) : "null";
    }
    out += '}';
  }
  out += ']';
  return out;
}

std::string FormatResults(const std::vector<Rows>& results, bool json) {
  std::string out;
  for (const Rows& rows : results) {
    if (json) {
      out += FormatJson(rows);
      out += '\n';
    } else {
      std::string table = FormatTable(rows);
      if (table.empty()) continue;
      if (!out.empty()) out += '\n';
      out += table;
    }
  }
  return out;
}

std::string FormatIsoTime(int64_t unix_micros) {
  // Floor division so that times before 1970 still get a micros part in [0, 1e6).
  int64_t seconds = unix_micros / 1'000'000;
  int64_t micros = unix_micros % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
}

std::string FormatInfoText(const DatabaseInfo& info) {
  std::string last =
      info.last_commit_micros != 0 ? FormatIsoTime(info.last_commit_micros) : "never";
  return fmt::format(
      "version             {}\n"
      "page size           {}\n"
      "pages               {}\n"
      "bytes               {}\n"
      "commits             {}\n"
      "last commit         {}\n"
      "checkpoint version  {}\n",
      info.version, info.page_size, info.pages, info.bytes, info.version, last,
      info.checkpoint_version);
}

std::string FormatInfoJson(const DatabaseInfo& info) {
  // ordered_json: keys in the order the text form uses, which is easier to read.
  nlohmann::ordered_json j;
  j["version"] = info.version;
  j["page_size"] = info.page_size;
  j["pages"] = info.pages;
  j["bytes"] = info.bytes;
  j["commits"] = info.version;
  j["last_commit"] = info.last_commit_micros != 0
                         ? nlohmann::ordered_json(FormatIsoTime(info.last_commit_micros))
                         : nlohmann::ordered_json(nullptr);
  j["last_commit_micros"] = info.last_commit_micros;
  j["checkpoint_version"] = info.checkpoint_version;
  return j.dump();
}

}  // namespace cloudlite::cli
