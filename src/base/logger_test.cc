#include "base/logger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace cloudlite {
namespace {

boost::json::object ParseLine(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  return ec ? boost::json::object{} : v.as_object();
}

TEST(Logger, OneJsonLinePerEventWithTypedFields) {
  MemoryLogSink sink;
  FakeClock clock(1700000000123456);
  Logger log(sink.sink(), LogLevel::kInfo, clock);
  log.Log(LogLevel::kInfo, "http_request",
          {{"method", "GET"}, {"status", 200}, {"seconds", 0.25}, {"tls", true}});
  ASSERT_EQ(sink.lines().size(), 1u);
  boost::json::object o = ParseLine(sink.lines()[0]);
  EXPECT_EQ(o["ts"].as_string(), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(o["level"].as_string(), "info");
  EXPECT_EQ(o["event"].as_string(), "http_request");
  EXPECT_EQ(o["method"].as_string(), "GET");
  EXPECT_EQ(o["status"].as_int64(), 200);
  EXPECT_DOUBLE_EQ(o["seconds"].as_double(), 0.25);
  EXPECT_TRUE(o["tls"].as_bool());
}

TEST(Logger, LevelsBelowTheMinimumAreDropped) {
  MemoryLogSink sink;
  Logger log(sink.sink(), LogLevel::kWarn);
  log.Log(LogLevel::kInfo, "quiet", {});
  log.Log(LogLevel::kDebug, "quieter", {});
  log.Log(LogLevel::kError, "loud", {});
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(ParseLine(sink.lines()[0])["level"].as_string(), "error");
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kWarn));
}

TEST(Logger, AnyBytesMakeValidJson) {
  MemoryLogSink sink;
  Logger log(sink.sink(), LogLevel::kDebug);
  const std::string nasty = std::string("q\"b\\s\n\r\t\x01\x7f", 11) + "\xff\xc3(" + "é" +
                            "\xed\xa0\x80" /* a surrogate */ + std::string(1, '\0');
  log.Log(LogLevel::kInfo, nasty, {{nasty, nasty}, {"nan", 0.0 / 0.0}});
  ASSERT_EQ(sink.lines().size(), 1u);
  const std::string line = sink.lines()[0];
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  boost::json::object o = ParseLine(line);
  const std::string kBad = "\xEF\xBF\xBD";  // U+FFFD
  const std::string expected = std::string("q\"b\\s\n\r\t\x01\x7f", 11) + kBad + kBad + "(" + "é" +
                               kBad + kBad + kBad + std::string(1, '\0');
  EXPECT_EQ(std::string(o["event"].as_string()), expected);
  EXPECT_TRUE(o["nan"].is_null());
}

TEST(Logger, LinesFromManyThreadsStayWhole) {
  MemoryLogSink sink;
  Logger log(sink.sink(), LogLevel::kInfo);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) log.Log(LogLevel::kInfo, "tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(sink.lines().size(), 800u);
  for (const std::string& line : sink.lines()) ParseLine(line);
}

TEST(Logger, WritesToAFileDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto log = Logger::ToFd(fds[1]);
  log->Log(LogLevel::kInfo, "to_pipe", {{"n", 1}});
  close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  EXPECT_EQ(ParseLine(got)["event"].as_string(), "to_pipe");
}

}  // namespace
}  // namespace cloudlite
