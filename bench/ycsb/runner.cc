#include "runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace cloudlite::ycsb {

using Clock = std::chrono::steady_clock;

void OpStats::Merge(const OpStats& other) {
  latency.Merge(other.latency);
  errors += other.errors;
  not_found += other.not_found;
  requests += other.requests;
  items += other.items;
  if (first_error.empty()) first_error = other.first_error;
}

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One client's share of a phase: YCSB's client thread, here a coroutine.
struct Worker {
  std::unique_ptr<DynamoDbClient> client;
  Random random;
  std::array<OpStats, kOpCount> ops;
  uint64_t operations = 0;
  uint64_t errors = 0;

  Worker(const boost::asio::any_io_executor& executor, const ClientConfig& config, uint64_t seed)
      : client(std::make_unique<DynamoDbClient>(executor, config)), random(seed) {}

  // Awaits `call` (an operation starts when awaited), timing it, books its reply under `op` and
  // returns it.
  Task<Reply> Measure(Op op, Task<Reply> call) {
    const auto start = Clock::now();
    Reply reply = co_await std::move(call);
    Book(op, reply, Clock::now() - start);
    co_return reply;
  }

  // READ-MODIFY-WRITE: its READ and its UPDATE are booked on their own too, as YCSB's DBWrapper
  // books them; the returned reply counts no request (they are booked already).
  Task<Reply> ReadModifyWrite(const std::string& key, const Fields& fields) {
    Reply read = co_await Measure(Op::kRead, client->GetItem(key));
    if (!read.ok) {
      read.requests = 0;
      co_return read;
    }
    Reply update = co_await Measure(Op::kUpdate, client->UpdateItem(key, fields));
    update.requests = 0;
    co_return update;
  }

  void Book(Op op, const Reply& reply, Clock::duration elapsed) {
    OpStats& stats = ops[static_cast<size_t>(op)];
    stats.requests += static_cast<uint64_t>(reply.requests);
    if (!reply.ok) {
      stats.errors++;
      if (stats.first_error.empty()) stats.first_error = reply.error;
      return;
    }
    stats.latency.Record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    if (op == Op::kRead && !reply.found) stats.not_found++;
    if (op == Op::kScan) stats.items += static_cast<uint64_t>(reply.items);
  }
};

Fields AllFields(const WorkloadSpec& spec, Random& random) {
  Fields fields;
  fields.reserve(static_cast<size_t>(spec.field_count));
  for (int i = 0; i < spec.field_count; i++) {
    fields.emplace_back("field" + std::to_string(i), RandomValue(random, spec.field_length));
  }
  return fields;
}

// buildSingleValue: one field chosen uniformly, a new random value.
Fields OneField(const WorkloadSpec& spec, Random& random) {
  const int64_t field = random.Uniform(0, spec.field_count - 1);
  return {{"field" + std::to_string(field), RandomValue(random, spec.field_length)}};
}

// Runs `threads` workers together, each body(worker) until it returns, spread over
// `client_threads` threads with an io_context each.
PhaseResult RunPhase(const RunOptions& options, const std::function<Task<void>(Worker&)>& body) {
  const int thread_count = std::clamp(options.client_threads, 1, options.threads);
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (int t = 0; t < thread_count; t++) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  workers.reserve(static_cast<size_t>(options.threads));
  for (int i = 0; i < options.threads; i++) {
    boost::asio::io_context& io = *contexts[static_cast<size_t>(i % thread_count)];
    workers.push_back(
        std::make_unique<Worker>(io.get_executor(), options.client, options.seed * 1000003 + i));
    boost::asio::co_spawn(io, body(*workers.back()), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);  // only bad_alloc: failures are Replies
    });
  }
  const double cpu_before = CpuSeconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 1; t < thread_count; t++) {
    threads.emplace_back([&contexts, t] { contexts[static_cast<size_t>(t)]->run(); });
  }
  contexts[0]->run();
  for (std::thread& t : threads) t.join();
  PhaseResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.cpu_seconds = CpuSeconds() - cpu_before;
  for (const auto& w : workers) {
    for (size_t op = 0; op < kOpCount; op++) result.ops[op].Merge(w->ops[op]);
    result.operations += w->operations;
    result.errors += w->errors;
    result.reconnects += static_cast<uint64_t>(w->client->reconnects());
  }
  return result;
}

}  // namespace

PhaseResult RunLoad(const RunOptions& options) {
  std::atomic<int64_t> next{0};
  const WorkloadSpec& spec = options.spec;
  return RunPhase(options, [&](Worker& w) -> Task<void> {
    for (int64_t keynum; (keynum = next.fetch_add(1)) < spec.record_count;) {
      const Fields fields = AllFields(spec, w.random);
      const std::string key = KeyName(keynum);
      const bool ok = (co_await w.Measure(Op::kInsert, w.client->PutItem(key, fields))).ok;
      ok ? w.operations++ : w.errors++;
    }
  });
}

PhaseResult RunTransactions(const RunOptions& options) {
  const WorkloadSpec& spec = options.spec;
  AcknowledgedCounter inserts(spec.record_count);
  std::atomic<int64_t> claimed{0};
  std::atomic<bool> timed_out{false};
  const auto deadline = options.max_seconds > 0
                            ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(options.max_seconds))
                            : Clock::time_point::max();
  PhaseResult result = RunPhase(options, [&](Worker& w) -> Task<void> {
    KeyChooser keys(spec, &inserts);
    const Discrete chooser = OperationChooser(spec);
    while (claimed.fetch_add(1) < spec.operation_count) {
      if (Clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      bool ok = false;
      switch (static_cast<Op>(chooser.Next(w.random))) {
        case Op::kRead: {
          const std::string key = KeyName(keys.NextKeynum(w.random));
          ok = (co_await w.Measure(Op::kRead, w.client->GetItem(key))).ok;
          break;
        }
        case Op::kUpdate: {
          const std::string key = KeyName(keys.NextKeynum(w.random));
          const Fields fields = OneField(spec, w.random);
          ok = (co_await w.Measure(Op::kUpdate, w.client->UpdateItem(key, fields))).ok;
          break;
        }
        case Op::kInsert: {
          const int64_t keynum = inserts.NextValue();
          const Fields fields = AllFields(spec, w.random);
          const std::string key = KeyName(keynum);
          ok = (co_await w.Measure(Op::kInsert, w.client->PutItem(key, fields))).ok;
          inserts.Acknowledge(keynum);  // even when it failed, as YCSB does (finally)
          break;
        }
        case Op::kScan: {
          const std::string key = KeyName(keys.NextKeynum(w.random));
          const int64_t length = w.random.Uniform(spec.min_scan_length, spec.max_scan_length);
          ok = (co_await w.Measure(Op::kScan, w.client->ScanFrom(key, length))).ok;
          break;
        }
        case Op::kReadModifyWrite: {
          const std::string key = KeyName(keys.NextKeynum(w.random));
          const Fields fields = OneField(spec, w.random);
          ok = (co_await w.Measure(Op::kReadModifyWrite, w.ReadModifyWrite(key, fields))).ok;
          break;
        }
      }
      ok ? w.operations++ : w.errors++;
    }
  });
  result.stopped_by_time = timed_out;
  return result;
}

}  // namespace cloudlite::ycsb
