// A small structured logger for the servers: one JSON object per line per event, for example
//   {"ts":"2025-01-02T03:04:05.678901Z","level":"info","event":"http_request","status":200}
// Thread-safe: each line reaches the sink whole, in one call. Strings are escaped so that every
// line is valid JSON whatever bytes a field holds (invalid UTF-8 becomes U+FFFD).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"

namespace cloudlite {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

std::string_view LogLevelName(LogLevel level);

// One key and its value; the value keeps its JSON type (string, integer, number, bool).
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}

  std::string_view key;
  std::variant<std::string, int64_t, double, bool> value;
};

// Appends `text` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, std::string_view text);

class Logger {
 public:
  // Receives one complete line, newline included.
  using Sink = std::function<void(std::string_view line)>;

  // Writes to a file descriptor (2 for stderr); the descriptor stays the caller's.
  static std::unique_ptr<Logger> ToFd(int fd, LogLevel min_level = LogLevel::kInfo);
  // `clock` (tests pass a FakeClock) must outlive the logger.
  Logger(Sink sink, LogLevel min_level, const Clock& clock = WallClock());

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
  void Log(LogLevel level, std::string_view event, const std::vector<LogField>& fields);

  // The line Log would write (without writing it); for tests and for callers that batch.
  std::string Format(LogLevel level, std::string_view event, const LogField* fields,
                     size_t count) const;

 private:
  void Write(LogLevel level, std::string_view event, const LogField* fields, size_t count);

  Sink sink_;
  LogLevel min_level_;
  const Clock& clock_;
  std::mutex mu_;  // one line at a time reaches the sink
};

// A sink that keeps the lines in memory, for tests.
class MemoryLogSink {
 public:
  Logger::Sink sink();
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace cloudlite
