#include "cli/output.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <variant>
#include <vector>

#include "base/clock.h"
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

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD: SQLite does
// not guarantee valid UTF-8 in TEXT. A sequence cut short counts once, and the byte that cut it
// is read again, so "\xc3y" is "\ufffdy".
std::string ValidUtf8(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      i++;
      continue;
    }
    // Continuation bytes after the lead, and the range of the first (no overlongs, no
    // surrogates, nothing above U+10FFFF).
    int more = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      out += kReplacement;
      i++;
      continue;
    }
    size_t j = i + 1;
    for (int k = 0; k < more; k++, j++, lo = 0x80, hi = 0xbf) {
      if (j >= text.size()) break;
      const auto b = static_cast<unsigned char>(text[j]);
      if (b < lo || b > hi) break;
    }
    if (j == i + 1 + static_cast<size_t>(more)) {
      out.append(text.substr(i, j - i));
    } else {
      out += kReplacement;
    }
    i = j;
  }
  return out;
}

std::string JsonString(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  return boost::json::serialize(boost::json::string_view(valid.data(), valid.size()));
}

// The shortest text that reads back as `value`, in the form this CLI has always printed: plain
// decimals from 1e-4 up to 1e15 with ".0" on whole numbers (10.0), an exponent outside that
// range (1e+20, 1e-05), null for infinities.
std::string JsonReal(double value) {
  if (!std::isfinite(value)) return "null";
  std::array<char, 64> buf{};
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  if (ec != std::errc()) return "null";
  // "-d.ddde+XX" -> sign, digits "dddd" and the exponent of the first digit.
  std::string_view sci(buf.data(), static_cast<size_t>(end - buf.data()));
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const size_t e_at = sci.find('e');
  std::string digits(sci.substr(0, e_at));
  std::erase(digits, '.');
  int exponent = 0;
  std::from_chars(sci.data() + e_at + 1 + (sci[e_at + 1] == '+'), sci.data() + sci.size(),
                  exponent);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 15) {
    out += digits + std::string(static_cast<size_t>(n - k), '0') + ".0";
  } else if (0 < n && n <= 15) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-4 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += fmt::format("e{}{:02}", exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  return out;
}

std::string JsonValue(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return "null";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return JsonReal(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return JsonString(*s);
  return JsonString(HexEncode(std::get<Blob>(v).bytes));
}

}  // namespace

std::string FormatJsonValue(const Value& v) { return JsonValue(v); }
std::string FormatCellText(const Value& v) { return CellText(v); }

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
  // Built by hand so that duplicate column names (SELECT 1 AS a, 2 AS a) all appear, in column
  // order, as in sqlite3 -json. Bad UTF-8 in TEXT is replaced, never passed on.
  std::vector<std::string> keys;
  keys.reserve(rows.columns.size());
  for (const auto& name : rows.columns) keys.push_back(JsonString(name));
  std::string out = "[";
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    if (r > 0) out += ",\n";
    out += '{';
    const auto& row = rows.rows[r];
    for (size_t c = 0; c < keys.size(); ++c) {
      if (c > 0) out += ',';
      out += keys[c];
      out += ':';
      out += c < row.size() ? JsonValue(row[c]) : "null";
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

std::string FormatInfoText(const DatabaseInfo& info) {
  std::string last = info.last_commit_micros != 0 ? IsoTime(info.last_commit_micros) : "never";
  return fmt::format(
      "version             {}\n"
      "page size           {}\n"
      "pages               {}\n"
      "bytes               {}\n"
      "commits             {}\n"
      "last commit         {}\n"
      "checkpoint version  {}\n",
      info.version, info.page_size, info.pages, info.bytes, info.commits(), last,
      info.checkpoint_version);
}

std::string FormatInfoJson(const DatabaseInfo& info) {
  // Keys in the order the text form uses, which is easier to read (an object keeps its order).
  boost::json::object j;
  j["version"] = info.version;
  j["page_size"] = info.page_size;
  j["pages"] = info.pages;
  j["bytes"] = info.bytes;
  j["commits"] = info.commits();
  if (info.last_commit_micros != 0) {
    j["last_commit"] = IsoTime(info.last_commit_micros);
  } else {
    j["last_commit"] = nullptr;
  }
  j["last_commit_micros"] = info.last_commit_micros;
  j["checkpoint_version"] = info.checkpoint_version;
  return boost::json::serialize(j);
}

std::string FormatJsonStrings(const std::vector<std::string>& texts) {
  std::string out = "[";
  for (const std::string& text : texts) {
    if (out.size() > 1) out += ',';
    out += JsonString(text);
  }
  return out + "]";
}

}  // namespace cloudlite::cli
