// The requests YCSB's DynamoDB binding (site.ycsb.db.DynamoDBClient) sends, over one keep-alive
// HTTP/1.1 connection, SigV4-signed as the AWS SDK signs them:
//   read   -> GetItem {Key, ConsistentRead}            (readallfields: no AttributesToGet)
//   update -> UpdateItem {Key, AttributeUpdates: {field: {Value: {S}, Action: PUT}}}
//   insert -> PutItem {Item: key + every field}
//   scan   -> GetItem(start key), then Scan {ExclusiveStartKey, Limit: remaining} until enough
// The operations are coroutines on one io_context: a thread drives many clients, each its own
// closed loop, and sleeps only when none has an answer to read (16 blocking threads spent half of
// the load generator's CPU in the kernel, switching between them). A client is not thread-safe.
// Failures are values (Reply), never exceptions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cloudlite::ycsb {

struct Endpoint {
  std::string url;  // "http://127.0.0.1:8000"
  std::string host;
  uint16_t port = 0;
};
// "http://HOST:PORT" with HOST an IPv4 or IPv6 literal (plain HTTP only: a loopback benchmark).
std::optional<Endpoint> ParseEndpoint(std::string_view url);

struct ClientConfig {
  Endpoint endpoint;
  std::string table = "usertable";
  std::string key_name = "firstname";  // dynamodb.primaryKey, the binding's sample value
  // dynamodb.primaryKeyType=HASH_AND_RANGE: every item in one partition, hash_key_name =
  // hash_key_value, the YCSB key being the range key (the binding's way to benchmark one
  // partition). Empty: HASH, the default.
  std::string hash_key_name;
  std::string hash_key_value = "YCSB_0";  // dynamodb.hashKeyValue's default
  bool consistent_read = false;           // dynamodb.consistentReads, default false
  std::string region = "us-east-1";
  std::string access_key = "ycsb";  // any key works against the local servers; none is a secret
  std::string secret_key = "ycsb";
};

// The outcome of one request (or of a scan's several).
struct Reply {
  bool ok = false;
  int status = 0;      // HTTP status; 0 when the connection failed
  std::string error;   // DynamoDB's __type without its prefix, or the transport's message
  bool found = false;  // GetItem: an Item came back
  int64_t items = 0;   // Scan: items returned in all
  int requests = 0;    // HTTP requests made
  std::string body;    // the last response body (for the control plane)
};

using Fields = std::vector<std::pair<std::string, std::string>>;

template <class T>
using Task = boost::asio::awaitable<T>;

// Arguments passed by reference must outlive the operation: co_await it at once.
class DynamoDbClient {
 public:
  DynamoDbClient(const boost::asio::any_io_executor& executor, ClientConfig config);
  ~DynamoDbClient();
  DynamoDbClient(const DynamoDbClient&) = delete;
  DynamoDbClient& operator=(const DynamoDbClient&) = delete;

  Task<Reply> GetItem(const std::string& key);
  Task<Reply> UpdateItem(const std::string& key, const Fields& fields);
  Task<Reply> PutItem(const std::string& key, const Fields& fields);
  Task<Reply> ScanFrom(const std::string& start_key, int64_t count);

  // The control plane, for setting up: deletes the table if it exists, creates it (hash key
  // key_name of type S, or hash_key_name and range key key_name; on demand) and waits until
  // DescribeTable says ACTIVE.
  Task<Reply> RecreateTable();

  // Sends one operation's JSON body and reads the answer; a transport failure on a connection
  // that had served requests before is retried once on a new connection (the server may have
  // closed an idle keep-alive connection). With last_evaluated_key, the answer's
  // LastEvaluatedKey as JSON text goes there (empty when it has none).
  Task<Reply> Call(std::string_view operation, const std::string& body,
                   std::string* last_evaluated_key = nullptr);

  int reconnects() const { return reconnects_; }

 private:
  Task<bool> Connect(std::string* error);
  Task<bool> Exchange(std::string_view operation, const std::string& body, Reply* reply);
  std::string KeyJson(const std::string& key) const;
  void AppendKeyAttributes(std::string* out, const std::string& key) const;

  ClientConfig config_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
  int served_ = 0;  // requests answered on the current connection
  int reconnects_ = 0;
};

// Runs one operation to its end on `io`, which nothing else runs (setting up, and tests).
template <class T>
T Sync(boost::asio::io_context& io, Task<T> task) {
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) out = std::move(value);
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

}  // namespace cloudlite::ycsb
