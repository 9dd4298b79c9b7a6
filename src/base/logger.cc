#include "base/logger.h"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "base/clock.h"

namespace cloudlite {
namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if there is none.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t len;
  uint32_t cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendTimestamp(std::string* out, int64_t micros) { out->append(IsoTime(micros)); }

void AppendValue(std::string* out, const LogField& field) {
  if (const auto* s = std::get_if<std::string>(&field.value)) {
    AppendJsonString(out, *s);
  } else if (const auto* i = std::get_if<int64_t>(&field.value)) {
    out->append(std::to_string(*i));
  } else if (const auto* d = std::get_if<double>(&field.value)) {
    if (!std::isfinite(*d)) {
      out->append("null");  // JSON has no NaN or infinity
      return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", *d);
    out->append(buf);
  } else {
    out->append(std::get<bool>(field.value) ? "true" : "false");
  }
}

void WriteAll(int fd, std::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a log that cannot be written must not stop the server
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\u%04x", c);
      out->append(buf);
    } else if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(text, i);
      if (len == 0) {
        out->append("\\ufffd");
        ++i;
        continue;
      }
      out->append(text.substr(i, len));
      i += len;
      continue;
    } else {
      out->push_back(static_cast<char>(c));
    }
    ++i;
  }
  out->push_back('"');
}

std::unique_ptr<Logger> Logger::ToFd(int fd, LogLevel min_level) {
  return std::make_unique<Logger>([fd](std::string_view line) { WriteAll(fd, line); }, min_level);
}

Logger::Logger(Sink sink, LogLevel min_level, const Clock& clock)
    : sink_(std::move(sink)), min_level_(min_level), clock_(clock) {}

void Logger::Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  Write(level, event, fields.begin(), fields.size());
}

void Logger::Log(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
  Write(level, event, fields.data(), fields.size());
}

std::string Logger::Format(LogLevel level, std::string_view event, const LogField* fields,
                           size_t count) const {
  std::string line = "{\"ts\":\"";
  AppendTimestamp(&line, clock_.NowMicros());
  line.append("\",\"level\":\"");
  line.append(LogLevelName(level));
  line.append("\",\"event\":");
  AppendJsonString(&line, event);
  for (size_t i = 0; i < count; ++i) {
    line.push_back(',');
    AppendJsonString(&line, fields[i].key);
    line.push_back(':');
    AppendValue(&line, fields[i]);
  }
  line.append("}\n");
  return line;
}

void Logger::Write(LogLevel level, std::string_view event, const LogField* fields, size_t count) {
  if (!Enabled(level)) return;
  const std::string line = Format(level, event, fields, count);
  std::lock_guard lock(mu_);
  sink_(line);
}

Logger::Sink MemoryLogSink::sink() {
  return [this](std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
  };
}

std::vector<std::string> MemoryLogSink::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace cloudlite
