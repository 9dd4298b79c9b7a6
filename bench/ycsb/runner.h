// The two phases of a YCSB run with N clients (YCSB's client threads), each a closed loop with
// its own DynamoDbClient (its own keep-alive connection): the load phase inserts record_count
// records (keys 0.. in order, each client taking the next), the run phase performs operation_count
// operations chosen as CoreWorkload chooses them, stopping early at a time limit. Latency is
// measured per operation as YCSB's DBWrapper measures it (READ-MODIFY-WRITE also counts its READ
// and UPDATE).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "dynamodb_client.h"
#include "histogram.h"
#include "workload.h"

namespace cloudlite::ycsb {

struct OpStats {
  Histogram latency;  // successful operations only
  uint64_t errors = 0;
  uint64_t not_found = 0;   // READ of a key that was not there (YCSB counts it OK)
  uint64_t requests = 0;    // HTTP requests (a SCAN makes several)
  uint64_t items = 0;       // SCAN: records returned
  std::string first_error;  // the first failure's message, for the report

  void Merge(const OpStats& other);
};

struct PhaseResult {
  std::array<OpStats, kOpCount> ops;
  double seconds = 0;       // wall time from the first operation to the last answer
  uint64_t operations = 0;  // successful operations (a READ-MODIFY-WRITE counts once)
  uint64_t errors = 0;
  double cpu_seconds = 0;  // this process's user + system CPU during the phase
  uint64_t reconnects = 0;
  bool stopped_by_time = false;  // the time limit ended the run phase before operation_count
};

struct RunOptions {
  ClientConfig client;
  WorkloadSpec spec;
  int threads = 16;        // YCSB's client threads: concurrent clients, each a connection
  int client_threads = 1;  // OS threads running them (each sleeps only when all its are waiting)
  double max_seconds = 0;  // 0: no limit
  uint64_t seed = 1;
};

PhaseResult RunLoad(const RunOptions& options);
PhaseResult RunTransactions(const RunOptions& options);

}  // namespace cloudlite::ycsb
