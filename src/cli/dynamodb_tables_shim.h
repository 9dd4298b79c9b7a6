// TEMPORARY SHIM (helper "wire", issue 14) -- delete this file once helper "store"'s
// src/server/dynamodb/tables.h is merged. It lets `cloudlite dynamodb serve` compile against the
// agreed TableService API before the real one exists: when tables.h is present it is used and
// nothing below is compiled. The shim runs no operation: each answers that the table service is
// not in this build, so a binary built with it cannot be mistaken for a working server.
#pragma once

#if __has_include("server/dynamodb/tables.h")
#include "server/dynamodb/tables.h"
#else
#include <memory>
#include <string>
#include <string_view>

#include "cloudlite/options.h"
#include "cloudlite/status.h"
#include "server/dynamodb/operation.h"
#include "server/http/metrics.h"

namespace cloudlite::server::dynamodb {

struct TableServiceOptions {
  std::string store;
  int partitions = 8;
  cloudlite::Options options;
  server::MetricsRegistry* metrics = nullptr;
};

class TableService : public Operations {
 public:
  static Result<std::unique_ptr<TableService> > Open(const TableServiceOptions&) {
    return std::make_unique<TableService>();
  }
  OperationResult Run(std::string_view operation, const boost::json::object&,
                      const CallContext&) override {
    return ApiError{"UnknownOperationException",
                    std::string(operation) + " is not available: this build has no table service",
                    400,
                    {}};
  }
};

}  // namespace cloudlite::server::dynamodb
#endif
