// The data plane of TableService (tables.h): item reads and writes on the partitions, with
// dynamo/request.h deciding what each request does and answers.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/checksum.h"
#include "base/clock.h"
#include "base/json_text.h"
#include "base/random.h"
#include "dynamo/item_codec.h"
#include "dynamo/json.h"
#include "dynamo/request.h"
#include "server/dynamodb/deadline.h"
#include "server/dynamodb/tables.h"
#include "server/dynamodb/tokens.h"

namespace cloudlite::server::dynamodb {
namespace {

namespace json = boost::json;
using dynamo::Item;
using dynamo::StoredKey;

// Rows fetched per statement of a Query or Scan: a page stops early (Limit, 1 MB), so it never
// reads much past what it keeps.
constexpr int64_t kBatchRows = 128;

OperationResult ErrorOf(const Status& s) { return ErrorFromStatus(s); }

// Adds "name": value to `object`, the JSON text of an object.
void AddMember(std::string* object, std::string_view name, const json::value& value) {
  object->pop_back();  // its '}'
  if (object->size() > 1) object->push_back(',');
  AppendJsonString(name, object);
  object->push_back(':');
  *object += json::serialize(value);
  object->push_back('}');
}

// Whether a batch answers a key or request its status stopped as unprocessed, for the client to
// send again (DynamoDB's UnprocessedKeys/Items), rather than failing the whole batch: an outage,
// a writer that kept winning, or the deadline.
bool LeftToTheClient(const Status& s) { return s.IsRetryable() || s.IsBusy() || IsNotRunInTime(s); }

struct StoredItem {
  Item item;
  size_t size = 0;
};

Result<StoredItem> DecodeRow(const cloudlite::Value& item, const cloudlite::Value& size) {
  const Blob* bytes = std::get_if<Blob>(&item);
  const int64_t* n = std::get_if<int64_t>(&size);
  if (!bytes || !n || *n < 0) return Status::Corruption("a partition holds a malformed item row");
  CL_ASSIGN_OR_RETURN(Item decoded, dynamo::DecodeItem(bytes->bytes));
  return StoredItem{std::move(decoded), static_cast<size_t>(*n)};
}

Result<std::optional<StoredItem>> ReadItem(Connection& c, const StoredKey& key) {
  CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT item, size FROM items WHERE pk = ?1 AND sk = ?2",
                                         {Blob{key.pk}, Blob{key.sk}}));
  if (rows.rows.empty()) return std::optional<StoredItem>();
  CL_ASSIGN_OR_RETURN(StoredItem s, DecodeRow(rows.rows[0][0], rows.rows[0][1]));
  return std::optional<StoredItem>(std::move(s));
}

// Makes `effect` the stored state of the item at `key`.
Status StoreEffect(Connection& c, const StoredKey& key, const dynamo::WriteEffect& effect) {
  switch (effect.kind) {
    case dynamo::WriteEffect::Kind::kNothing:
      return Status::Ok();
    case dynamo::WriteEffect::Kind::kStore:
      return c
          .Query("INSERT OR REPLACE INTO items (pk, sk, item, size) VALUES (?1, ?2, ?3, ?4)",
                 {Blob{key.pk}, Blob{key.sk}, Blob{dynamo::EncodeItem(effect.item)},
                  static_cast<int64_t>(effect.size)})
          .status();
    case dynamo::WriteEffect::Kind::kDelete:
      return c.Query("DELETE FROM items WHERE pk = ?1 AND sk = ?2", {Blob{key.pk}, Blob{key.sk}})
          .status();
  }
  return Status::Internal("unknown write effect");
}

// What a write does first to the item at a key, inside the partition's transaction: settles an
// intent of a transaction across partitions there (TableService::SettleKey).
using KeyGuard = std::function<Status(Connection&, const StoredKey&)>;

// Decides `write` on its item as it is in the partition's transaction now.
Result<dynamo::WriteOutcome> DecideWrite(Connection& c, const dynamo::WriteRequest& write,
                                         const KeyGuard& guard) {
  CL_RETURN_IF_ERROR(guard(c, write.key()));
  CL_ASSIGN_OR_RETURN(std::optional<StoredItem> current, ReadItem(c, write.key()));
  return write.Apply(current ? &current->item : nullptr);
}

// Applies `write` to its item inside the partition's transaction; `*outcome` says what it did.
// Starts from scratch on every run (the group may run again after a lost race).
Status ApplyWrite(Connection& c, const dynamo::WriteRequest& write, const KeyGuard& guard,
                  dynamo::WriteOutcome* outcome) {
  CL_ASSIGN_OR_RETURN(*outcome, DecideWrite(c, write, guard));
  if (outcome->condition_failed) return Status::Ok();
  return StoreEffect(c, write.key(), outcome->effect);
}

size_t NewSize(const dynamo::WriteOutcome& o) {
  return o.effect.kind == dynamo::WriteEffect::Kind::kStore ? o.effect.size : 0;
}

// Which partitions a Scan segment visits, and which of their rows: with TotalSegments <= P a
// segment owns the partitions p with p mod T == segment; with more segments than partitions,
// the segments that share a partition split its rows by the hash of their partition key.
struct SegmentPlan {
  std::vector<int> partitions;
  uint64_t shares = 1;  // segments sharing each partition
  uint64_t share = 0;   // this segment's share
  bool Owns(std::string_view pk, int partitions_total) const {
    if (shares == 1) return true;
    return (Checksum(pk, 0) / static_cast<uint64_t>(partitions_total)) % shares == share;
  }
};

SegmentPlan PlanSegment(uint32_t segment, uint32_t total, int partitions) {
  SegmentPlan plan;
  const auto p = static_cast<uint32_t>(partitions);
  if (total <= p) {
    for (uint32_t i = segment; i < p; i += total) plan.partitions.push_back(static_cast<int>(i));
    return plan;
  }
  uint32_t part = segment % p;
  plan.partitions.push_back(static_cast<int>(part));
  plan.shares = (total - 1 - part) / p + 1;
  plan.share = segment / p;
  return plan;
}

// The rows of one Query's range after `cursor` (in the visiting direction), at most kBatchRows.
Result<Rows> QueryBatch(Connection& c, const dynamo::ReadRequest& r,
                        const std::optional<std::string>& cursor) {
  std::string sql = "SELECT item, size FROM items WHERE pk = ?1";
  std::vector<cloudlite::Value> params{Blob{*r.pk()}};
  auto bound = [&](const char* op, const std::string& sk) {
    params.emplace_back(std::in_place_type<Blob>, Blob{sk});
    sql += " AND sk " + std::string(op) + " ?" + std::to_string(params.size());
  };
  if (r.low()) bound(r.low()->inclusive ? ">=" : ">", r.low()->sk);
  if (r.high()) bound(r.high()->inclusive ? "<=" : "<", r.high()->sk);
  if (cursor) bound(r.forward() ? ">" : "<", *cursor);
  params.emplace_back(std::in_place_type<int64_t>, kBatchRows);
  sql += std::string(" ORDER BY sk ") + (r.forward() ? "ASC" : "DESC") + " LIMIT ?" +
         std::to_string(params.size());
  return c.Query(sql, params);
}

// The rows of one partition after `cursor` in (pk, sk) order, at most kBatchRows.
Result<Rows> ScanBatch(Connection& c, const std::optional<StoredKey>& cursor) {
  if (!cursor) {
    return c.Query("SELECT pk, sk, item, size FROM items ORDER BY pk, sk LIMIT ?1", {kBatchRows});
  }
  return c.Query(
      "SELECT pk, sk, item, size FROM items WHERE (pk, sk) > (?1, ?2) ORDER BY pk, sk LIMIT ?3",
      {Blob{cursor->pk}, Blob{cursor->sk}, kBatchRows});
}

const std::string& BlobOf(const cloudlite::Value& v) {
  static const std::string kEmpty;
  const Blob* b = std::get_if<Blob>(&v);
  return b ? b->bytes : kEmpty;
}

// The key schemas of a batch's tables from `catalog`, remembering each table in `tables`.
dynamo::SchemaLookup SchemaLookupInto(Catalog& catalog,
                                      std::map<std::string, TableEntry, std::less<>>* tables) {
  return [&catalog, tables](std::string_view name) -> Result<dynamo::KeySchema> {
    Result<TableEntry> e = catalog.Get(name);
    if (!e.ok()) {
      if (e.status().IsNotFound()) return Status::NotFound("Requested resource not found");
      return e.status();
    }
    dynamo::KeySchema schema = e->schema;
    (*tables)[std::string(name)] = std::move(e).value();
    return schema;
  };
}

// ---- intents of transactions across partitions ------------------------------------------------

struct Intent {
  StoredKey key;
  std::string txn;
  std::string kind;  // store | delete | check
  std::string item;  // kind store: the encoded item
  int64_t size = 0;
  int64_t at = 0;  // Unix microseconds of the prepare
};

// The intents in `scope` of partition `c`: of the item (pk, sk), of every item of pk, or (both
// null) of the whole partition.
Result<std::vector<Intent>> IntentsIn(Connection& c, const std::string* pk, const std::string* sk) {
  std::string sql = "SELECT pk, sk, txn, kind, item, size, at FROM intents";
  std::vector<cloudlite::Value> params;
  if (pk) {
    params.emplace_back(std::in_place_type<Blob>, Blob{*pk});
    sql += " WHERE pk = ?1";
    if (sk) {
      params.emplace_back(std::in_place_type<Blob>, Blob{*sk});
      sql += " AND sk = ?2";
    }
  }
  CL_ASSIGN_OR_RETURN(Rows rows, c.Query(sql, params));
  std::vector<Intent> out;
  for (const auto& row : rows.rows) {
    const Blob* rpk = std::get_if<Blob>(&row[0]);
    const Blob* rsk = std::get_if<Blob>(&row[1]);
    const std::string* txn = std::get_if<std::string>(&row[2]);
    const std::string* kind = std::get_if<std::string>(&row[3]);
    const Blob* item = std::get_if<Blob>(&row[4]);
    const int64_t* size = std::get_if<int64_t>(&row[5]);
    const int64_t* at = std::get_if<int64_t>(&row[6]);
    if (!rpk || !rsk || !txn || !kind || !at || (*kind == "store" && (!item || !size))) {
      return Status::Corruption("a partition holds a malformed intent row");
    }
    out.push_back({{rpk->bytes, rsk->bytes},
                   *txn,
                   *kind,
                   *kind == "store" ? item->bytes : std::string(),
                   size ? *size : 0,
                   *at});
  }
  return out;
}

// Makes a decided intent the item's state (a committed store or delete) or forgets it (an abort,
// or a ConditionCheck), and deletes it.
Status ResolveIntent(Connection& c, const Intent& in, Decision d) {
  if (d == Decision::kCommit && in.kind == "store") {
    CL_RETURN_IF_ERROR(
        c.Query("INSERT OR REPLACE INTO items (pk, sk, item, size) VALUES (?1, ?2, ?3, ?4)",
                {Blob{in.key.pk}, Blob{in.key.sk}, Blob{in.item}, in.size})
            .status());
  } else if (d == Decision::kCommit && in.kind == "delete") {
    CL_RETURN_IF_ERROR(
        c.Query("DELETE FROM items WHERE pk = ?1 AND sk = ?2", {Blob{in.key.pk}, Blob{in.key.sk}})
            .status());
  }
  return c
      .Query("DELETE FROM intents WHERE pk = ?1 AND sk = ?2 AND txn = ?3",
             {Blob{in.key.pk}, Blob{in.key.sk}, in.txn})
      .status();
}

// DynamoDB's answer to a write of an item that a transaction in flight holds.
Status ItemInTransaction() { return Status::Busy("Transaction is ongoing for the item"); }

}  // namespace

OperationResult TableService::WithTable(const json::object& request, const TableRun& run) {
  for (int attempt = 0;; attempt++) {
    Result<TableEntry> entry = TableOf(request);
    if (!entry.ok()) return ErrorOf(entry.status());
    Result<OperationResult> out = run(*entry);
    if (out.ok()) return std::move(out).value();
    if (!out.status().IsNotFound()) return ErrorOf(out.status());
    // This process's view of the table is stale: read the catalog again, run once more.
    catalog_->Forget(entry->name);
    if (attempt > 0) return ErrorOf(Status::NotFound("Requested resource not found"));
  }
}

OperationResult TableService::WithTables(const TablesRun& run) {
  for (int attempt = 0;; attempt++) {
    Tables tables;
    dynamo::SchemaLookup lookup = SchemaLookupInto(*catalog_, &tables);
    Result<OperationResult> out = run(lookup, tables);
    if (out.ok()) return std::move(out).value();
    if (!out.status().IsNotFound()) return ErrorOf(out.status());
    // A partition says a table is gone: this process's view of it is stale.
    for (const auto& [name, entry] : tables) catalog_->Forget(name);
    if (attempt > 0) return ErrorOf(Status::NotFound("Requested resource not found"));
  }
}

OperationResult TableService::WriteItem(dynamo::WriteRequest::Kind kind,
                                        const json::object& request, const Deadline& deadline) {
  return WithTable(request, [&](const TableEntry& t) -> Result<OperationResult> {
    Result<dynamo::WriteRequest> w = dynamo::WriteRequest::Parse(kind, request, t.schema);
    if (!w.ok()) return OperationResult(ErrorOf(w.status()));
    dynamo::WriteOutcome outcome;
    const KeyGuard guard = [this](Connection& c, const StoredKey& key) {
      return SettleKey(c, key, {});
    };
    Partitions::Work work = [&](Connection& c) { return ApplyWrite(c, *w, guard, &outcome); };
    const std::string name = PartitionName(t.id, PartitionOf(w->key().pk, t.partitions));
    Status s = partitions_->Write(name, work, CreateCheckFor(t), deadline);
    if (s.IsNotFound()) return s;
    if (!s.ok()) return OperationResult(ErrorOf(s));
    if (outcome.condition_failed) {
      return OperationResult(ApiError{"ConditionalCheckFailedException",
                                      "The conditional request failed", 400, outcome.members});
    }
    json::object out = outcome.members;
    if (w->return_consumed_capacity() != dynamo::ReturnConsumedCapacity::kNone) {
      out["ConsumedCapacity"] =
          dynamo::ConsumedCapacity(t.name, dynamo::WriteUnits(outcome.old_size, NewSize(outcome)),
                                   false, w->return_consumed_capacity());
    }
    return OperationResult(std::move(out));
  });
}

OperationResult TableService::PutItem(const json::object& request, const Deadline& deadline) {
  return WriteItem(dynamo::WriteRequest::Kind::kPut, request, deadline);
}

OperationResult TableService::UpdateItem(const json::object& request, const Deadline& deadline) {
  return WriteItem(dynamo::WriteRequest::Kind::kUpdate, request, deadline);
}

OperationResult TableService::DeleteItem(const json::object& request, const Deadline& deadline) {
  return WriteItem(dynamo::WriteRequest::Kind::kDelete, request, deadline);
}

OperationResult TableService::GetItem(const json::object& request, const Deadline& deadline) {
  return WithTable(request, [&](const TableEntry& t) -> Result<OperationResult> {
    Result<dynamo::GetRequest> g = dynamo::GetRequest::Parse(request, t.schema);
    if (!g.ok()) return OperationResult(ErrorOf(g.status()));
    std::optional<StoredItem> stored;
    const std::string name = PartitionName(t.id, PartitionOf(g->key().pk, t.partitions));
    Status s = ReadSettled(name, {&g->key().pk, &g->key().sk}, g->consistent_read(), deadline,
                           [&](Connection* c) -> Status {
                             if (!c) return Status::Ok();
                             CL_ASSIGN_OR_RETURN(stored, ReadItem(*c, g->key()));
                             return Status::Ok();
                           });
    if (s.IsNotFound()) return s;
    if (!s.ok()) return OperationResult(ErrorOf(s));
    // The hottest read: its answer written as text (operation.h).
    std::optional<Item> answer =
        g->Answer(stored ? std::optional<Item>(std::move(stored->item)) : std::nullopt);
    std::string out = "{";
    if (answer) {
      out += "\"Item\":";
      dynamo::AppendItemJson(*answer, &out);
    }
    out += '}';
    if (g->return_consumed_capacity() != dynamo::ReturnConsumedCapacity::kNone) {
      AddMember(&out, "ConsumedCapacity",
                dynamo::ConsumedCapacity(
                    t.name, dynamo::ReadUnits(stored ? stored->size : 0, g->consistent_read()),
                    true, g->return_consumed_capacity()));
    }
    return OperationResult(ResponseBody::Text(std::move(out)));
  });
}

OperationResult TableService::Query(const json::object& request, const Deadline& deadline) {
  return WithTable(request, [&](const TableEntry& t) -> Result<OperationResult> {
    Result<dynamo::ReadRequest> r = dynamo::ReadRequest::ParseQuery(request, t.schema);
    if (!r.ok()) return OperationResult(ErrorOf(r.status()));
    dynamo::ReadRequest::Page page(&*r);
    bool more = false;
    const std::string name = PartitionName(t.id, PartitionOf(*r->pk(), t.partitions));
    Status s = ReadSettled(
        name, {&*r->pk(), nullptr}, r->consistent_read(), deadline, [&](Connection* c) -> Status {
          page = dynamo::ReadRequest::Page(&*r);  // a re-run starts the page again
          more = false;
          if (!c) return Status::Ok();
          std::optional<std::string> cursor;
          if (r->start_after()) cursor = r->start_after()->sk;
          while (true) {
            CL_ASSIGN_OR_RETURN(Rows rows, QueryBatch(*c, *r, cursor));
            for (const auto& row : rows.rows) {
              CL_ASSIGN_OR_RETURN(StoredItem item, DecodeRow(row[0], row[1]));
              if (!page.Add(item.item, item.size)) {
                more = true;
                return Status::Ok();
              }
              if (!t.schema.range_name) return Status::Ok();  // one row per partition key
              auto range = item.item.find(*t.schema.range_name);
              if (range == item.item.end()) return Status::Corruption("an item lacks its sort key");
              CL_ASSIGN_OR_RETURN(cursor, dynamo::EncodeKey(range->second));
              // Past the deadline the page ends here: the client goes on from its LastEvaluatedKey.
              if (deadline.Passed()) {
                more = true;
                return Status::Ok();
              }
            }
            if (static_cast<int64_t>(rows.rows.size()) < kBatchRows) return Status::Ok();
          }
        });
    if (s.IsNotFound()) return s;
    if (!s.ok()) return OperationResult(ErrorOf(s));
    std::string out = page.Finish(more);
    if (r->return_consumed_capacity() != dynamo::ReturnConsumedCapacity::kNone) {
      AddMember(&out, "ConsumedCapacity",
                dynamo::ConsumedCapacity(
                    t.name, dynamo::ReadUnits(page.scanned_bytes(), r->consistent_read()), true,
                    r->return_consumed_capacity()));
    }
    return OperationResult(ResponseBody::Text(std::move(out)));
  });
}

OperationResult TableService::Scan(const json::object& request, const Deadline& deadline) {
  return WithTable(request, [&](const TableEntry& t) -> Result<OperationResult> {
    Result<dynamo::ReadRequest> r = dynamo::ReadRequest::ParseScan(request, t.schema);
    if (!r.ok()) return OperationResult(ErrorOf(r.status()));
    const SegmentPlan plan = PlanSegment(r->segment(), r->total_segments(), t.partitions);
    size_t first = 0;
    std::optional<StoredKey> cursor = r->start_after();
    if (cursor) {
      int p = PartitionOf(cursor->pk, t.partitions);
      auto it = std::find(plan.partitions.begin(), plan.partitions.end(), p);
      if (it == plan.partitions.end() || !plan.Owns(cursor->pk, t.partitions)) {
        return OperationResult(
            ApiError{"ValidationException",
                     "The provided Exclusive start key does not map to the provided segment",
                     400,
                     {}});
      }
      first = static_cast<size_t>(it - plan.partitions.begin());
    }
    dynamo::ReadRequest::Page page(&*r);
    bool more = false;
    bool visited = false;  // a row: the page can end with a LastEvaluatedKey
    for (size_t i = first; i < plan.partitions.size() && !more; i++) {
      const std::string name = PartitionName(t.id, plan.partitions[i]);
      Status s =
          ReadSettled(name, {}, r->consistent_read(), deadline, [&](Connection* c) -> Status {
            if (!c) return Status::Ok();
            std::optional<StoredKey> at = cursor;
            while (true) {
              CL_ASSIGN_OR_RETURN(Rows rows, ScanBatch(*c, at));
              for (const auto& row : rows.rows) {
                at = StoredKey{BlobOf(row[0]), BlobOf(row[1])};
                if (!plan.Owns(at->pk, t.partitions)) continue;
                CL_ASSIGN_OR_RETURN(StoredItem item, DecodeRow(row[2], row[3]));
                if (!page.Add(item.item, item.size)) {
                  more = true;
                  return Status::Ok();
                }
                visited = true;
                // Past the deadline the page ends here: the client goes on from LastEvaluatedKey.
                if (deadline.Passed()) {
                  more = true;
                  return Status::Ok();
                }
              }
              if (static_cast<int64_t>(rows.rows.size()) < kBatchRows) return Status::Ok();
            }
          });
      if (visited && IsNotRunInTime(s)) {
        more = true;  // the deadline came before this partition: the page ends with what it has
        break;
      }
      if (s.IsNotFound()) return s;
      if (!s.ok()) return OperationResult(ErrorOf(s));
      cursor.reset();  // the next partition is visited from its start
    }
    std::string out = page.Finish(more);
    if (r->return_consumed_capacity() != dynamo::ReturnConsumedCapacity::kNone) {
      AddMember(&out, "ConsumedCapacity",
                dynamo::ConsumedCapacity(
                    t.name, dynamo::ReadUnits(page.scanned_bytes(), r->consistent_read()), true,
                    r->return_consumed_capacity()));
    }
    return OperationResult(ResponseBody::Text(std::move(out)));
  });
}

OperationResult TableService::BatchGetItem(const json::object& request, const Deadline& deadline) {
  return WithTables([&](const dynamo::SchemaLookup& lookup,
                        Tables& tables) -> Result<OperationResult> {
    Result<dynamo::BatchGet> batch = dynamo::BatchGet::Parse(request, lookup);
    if (!batch.ok()) return OperationResult(ErrorOf(batch.status()));
    json::object responses;
    json::object unprocessed;
    json::array capacity;
    for (const dynamo::BatchGet::Table& bt : batch->tables) {
      const TableEntry& t = tables.at(bt.name);
      json::array items;
      json::array left;
      double units = 0;
      for (size_t i = 0; i < bt.keys.size(); i++) {
        const dynamo::GetRequest& g = bt.keys[i];
        std::optional<StoredItem> stored;
        const std::string name = PartitionName(t.id, PartitionOf(g.key().pk, t.partitions));
        // Past the deadline, Read runs nothing: the key is answered as unprocessed.
        Status s = ReadSettled(name, {&g.key().pk, &g.key().sk}, g.consistent_read(), deadline,
                               [&](Connection* c) -> Status {
                                 if (!c) return Status::Ok();
                                 CL_ASSIGN_OR_RETURN(stored, ReadItem(*c, g.key()));
                                 return Status::Ok();
                               });
        if (s.IsNotFound()) {
          return Status::NotFound("a partition of the table was removed");
        }
        if (!s.ok()) {
          if (!LeftToTheClient(s)) return OperationResult(ErrorOf(s));
          left.push_back(dynamo::ItemToJson(bt.key_items[i]));
          continue;
        }
        if (stored) {
          units += dynamo::ReadUnits(stored->size, g.consistent_read());
          std::optional<Item> answer = g.Answer(std::move(stored->item));
          if (answer) items.push_back(dynamo::ItemToJson(*answer));
        }
      }
      responses[bt.name] = std::move(items);
      if (!left.empty()) {
        json::object entry;
        if (const json::value* asked = request.at("RequestItems").as_object().if_contains(bt.name);
            asked && asked->is_object()) {
          entry = asked->as_object();
        }
        entry["Keys"] = std::move(left);
        unprocessed[bt.name] = std::move(entry);
      }
      if (batch->capacity != dynamo::ReturnConsumedCapacity::kNone) {
        capacity.push_back(dynamo::ConsumedCapacity(bt.name, units, true, batch->capacity));
      }
    }
    json::object out{{"Responses", std::move(responses)},
                     {"UnprocessedKeys", std::move(unprocessed)}};
    if (batch->capacity != dynamo::ReturnConsumedCapacity::kNone) {
      out["ConsumedCapacity"] = std::move(capacity);
    }
    return OperationResult(std::move(out));
  });
}

OperationResult TableService::BatchWriteItem(const json::object& request,
                                             const Deadline& deadline) {
  return WithTables(
      [&](const dynamo::SchemaLookup& lookup, Tables& tables) -> Result<OperationResult> {
        Result<dynamo::BatchWrite> batch = dynamo::BatchWrite::Parse(request, lookup);
        if (!batch.ok()) return OperationResult(ErrorOf(batch.status()));
        json::object unprocessed;
        json::array capacity;
        const KeyGuard guard = [this](Connection& c, const StoredKey& key) {
          return SettleKey(c, key, {});
        };
        for (const dynamo::BatchWrite::Table& bt : batch->tables) {
          const TableEntry& t = tables.at(bt.name);
          // The writes of each partition go to its writer together: one group, one commit.
          std::map<int, std::vector<size_t>> by_partition;
          for (size_t i = 0; i < bt.writes.size(); i++) {
            by_partition[PartitionOf(bt.writes[i].key().pk, t.partitions)].push_back(i);
          }
          std::vector<dynamo::WriteOutcome> outcomes(bt.writes.size());
          std::vector<Partitions::Work> works(bt.writes.size());
          json::array left;
          double units = 0;
          // Each partition's group on a thread of its own: the commits overlap, as for separate
          // requests.
          std::vector<std::vector<Status>> statuses(by_partition.size());
          std::vector<std::thread> threads;
          size_t g = 0;
          for (const auto& [p, indexes] : by_partition) {
            std::vector<const Partitions::Work*> group;
            for (size_t i : indexes) {
              works[i] = [&, i](Connection& c) {
                return ApplyWrite(c, bt.writes[i], guard, &outcomes[i]);
              };
              group.push_back(&works[i]);
            }
            auto write = [&, name = PartitionName(t.id, p), group, g] {
              // Writes not run by the deadline come back retryable: UnprocessedItems.
              statuses[g] = partitions_->Write(name, group, CreateCheckFor(t), deadline);
            };
            bool started = false;
            if (g + 1 < by_partition.size()) {  // the last one runs on this thread
              try {
                threads.emplace_back(write);
                started = true;
              } catch (const std::system_error&) {
                // No thread to be had: this one waits its turn on the request's thread.
              }
            }
            if (!started) write();
            g++;
          }
          for (std::thread& th : threads) th.join();
          g = 0;
          for (const auto& [p, indexes] : by_partition) {
            for (size_t k = 0; k < indexes.size(); k++) {
              const Status& s = statuses[g][k];
              const size_t i = indexes[k];
              if (s.IsNotFound()) {
                return Status::NotFound("a partition of the table was removed");
              }
              if (!s.ok()) {
                if (!LeftToTheClient(s)) return OperationResult(ErrorOf(s));
                left.push_back(bt.requests.at(i));
                continue;
              }
              units += dynamo::WriteUnits(outcomes[i].old_size, NewSize(outcomes[i]));
            }
            g++;
          }
          if (!left.empty()) unprocessed[bt.name] = std::move(left);
          if (batch->capacity != dynamo::ReturnConsumedCapacity::kNone) {
            capacity.push_back(dynamo::ConsumedCapacity(bt.name, units, false, batch->capacity));
          }
        }
        json::object out{{"UnprocessedItems", std::move(unprocessed)}};
        if (batch->capacity != dynamo::ReturnConsumedCapacity::kNone) {
          out["ConsumedCapacity"] = std::move(capacity);
        }
        return OperationResult(std::move(out));
      });
}

// ---- transactions (docs/dynamodb.md "Transactions") ------------------------------------------

namespace {

// TransactionCanceledException with one reason per action, in order.
ApiError Cancelled(json::array reasons) {
  std::string codes;
  for (const json::value& r : reasons) {
    if (!codes.empty()) codes += ", ";
    codes += std::string(r.as_object().at("Code").as_string());
  }
  return ApiError{
      "TransactionCanceledException",
      "Transaction cancelled, please refer cancellation reasons for specific reasons [" + codes +
          "]",
      400,
      {{"CancellationReasons", std::move(reasons)}}};
}

json::object NoReason() { return {{"Code", "None"}}; }

// ConsumedCapacity of a transaction: `units` per table, in the order tables were first named.
json::array TransactionCapacity(const std::vector<std::pair<std::string, double>>& units,
                                bool reads, dynamo::ReturnConsumedCapacity mode) {
  json::array out;
  for (const auto& [table, n] : units)
    out.push_back(dynamo::ConsumedCapacity(table, n, reads, mode));
  return out;
}

void AddUnits(std::vector<std::pair<std::string, double>>* units, const std::string& table,
              double n) {
  for (auto& [t, u] : *units) {
    if (t == table) {
      u += n;
      return;
    }
  }
  units->emplace_back(table, n);
}

// The version a read transaction on a partition sees (0: no partition yet).
Result<uint64_t> VersionOf(Connection* c) {
  if (!c) return uint64_t{0};
  // SQLite answers the PRAGMA when it prepares it: a read first, so that the transaction has
  // taken its snapshot (else it is the version of the connection's previous transaction).
  CL_RETURN_IF_ERROR(c->Query("SELECT 1 FROM intents LIMIT 1").status());
  CL_ASSIGN_OR_RETURN(Rows rows, c->Query("PRAGMA cloudlite_version"));
  if (rows.rows.size() == 1 && rows.rows[0].size() == 1) {
    if (const int64_t* v = std::get_if<int64_t>(&rows.rows[0][0])) return static_cast<uint64_t>(*v);
    uint64_t v = 0;
    const std::string* text = std::get_if<std::string>(&rows.rows[0][0]);
    if (text && std::from_chars(text->data(), text->data() + text->size(), v).ec == std::errc()) {
      return v;
    }
  }
  return Status::Internal("PRAGMA cloudlite_version answered no version");
}

// The reasons of a transaction cancelled by its conditions, one per action in order.
json::array ConditionReasons(const std::vector<dynamo::WriteOutcome>& outcomes) {
  json::array reasons;
  for (const dynamo::WriteOutcome& o : outcomes) {
    if (!o.condition_failed) {
      reasons.push_back(NoReason());
      continue;
    }
    json::object r{{"Code", "ConditionalCheckFailed"},
                   {"Message", "The conditional request failed"}};
    if (const json::value* item = o.members.if_contains("Item")) r["Item"] = *item;
    reasons.push_back(std::move(r));
  }
  return reasons;
}

// TransactionCanceledException for an item that another transaction in flight holds.
ApiError Conflicted(size_t actions) {
  json::array reasons;
  for (size_t i = 0; i < actions; i++) {
    reasons.push_back(json::object{{"Code", "TransactionConflict"},
                                   {"Message", "Transaction is ongoing for the item"}});
  }
  return Cancelled(std::move(reasons));
}

// The answer of a transaction that committed.
json::object TransactWriteAnswer(const dynamo::TransactWrite& tx,
                                 const std::vector<dynamo::WriteOutcome>& outcomes) {
  json::object out;
  if (tx.capacity != dynamo::ReturnConsumedCapacity::kNone) {
    // A transactional write costs twice a plain one, as in DynamoDB.
    std::vector<std::pair<std::string, double>> units;
    for (size_t i = 0; i < tx.actions.size(); i++) {
      AddUnits(&units, tx.actions[i]->table,
               2 * dynamo::WriteUnits(outcomes[i].old_size, NewSize(outcomes[i])));
    }
    out["ConsumedCapacity"] = TransactionCapacity(units, false, tx.capacity);
  }
  return out;
}

ApiError TokenMismatch() {
  return ApiError{"IdempotentParameterMismatchException",
                  "The request uses the same client token as a previous, but non-identical "
                  "request.",
                  400,
                  {}};
}

}  // namespace

OperationResult TableService::TransactWriteItems(const json::object& request,
                                                 const Deadline& deadline) {
  return WithTables([&](const dynamo::SchemaLookup& lookup,
                        Tables& tables) -> Result<OperationResult> {
    Result<dynamo::TransactWrite> tx = dynamo::TransactWrite::Parse(request, lookup);
    if (!tx.ok()) return OperationResult(ErrorOf(tx.status()));
    const size_t n = tx->actions.size();
    if (std::any_of(tx->key_errors.begin(), tx->key_errors.end(),
                    [](const std::string& e) { return !e.empty(); })) {
      json::array reasons;
      for (const std::string& e : tx->key_errors) {
        reasons.push_back(e.empty() ? NoReason()
                                    : json::object{{"Code", "ValidationError"}, {"Message", e}});
      }
      return OperationResult(Cancelled(std::move(reasons)));
    }
    // Every item in one partition database: one engine commit holds them all. Else the
    // protocol across partitions.
    std::string partition;
    const TableEntry* table = nullptr;
    for (const auto& a : tx->actions) {
      const TableEntry& t = tables.at(a->table);
      std::string name = PartitionName(t.id, PartitionOf(a->write.key().pk, t.partitions));
      if (table != nullptr && name != partition) {
        return TransactAcrossPartitions(*tx, tables, request, deadline);
      }
      partition = std::move(name);
      table = &t;
    }
    const int64_t digest = static_cast<int64_t>(Checksum(json::serialize(request), 0));
    const int64_t now = WallClock().NowMicros();
    std::vector<dynamo::WriteOutcome> outcomes(n);
    TokenState token = TokenState::kNew;
    bool failed = false;
    const KeyGuard guard = [this](Connection& c, const StoredKey& key) {
      return SettleKey(c, key, {});
    };
    Partitions::Work work = [&](Connection& c) -> Status {
      failed = false;
      token = TokenState::kNew;
      if (tx->token) {
        CL_ASSIGN_OR_RETURN(token, CheckToken(c, *tx->token, digest, now));
        if (token != TokenState::kNew) return Status::Ok();
      }
      for (size_t i = 0; i < n; i++) {
        CL_ASSIGN_OR_RETURN(outcomes[i], DecideWrite(c, tx->actions[i]->write, guard));
        failed = failed || outcomes[i].condition_failed;
      }
      if (failed) return Status::Ok();  // nothing written
      for (size_t i = 0; i < n; i++) {
        if (tx->actions[i]->check_only) continue;
        CL_RETURN_IF_ERROR(StoreEffect(c, tx->actions[i]->write.key(), outcomes[i].effect));
      }
      if (tx->token) CL_RETURN_IF_ERROR(RecordToken(c, *tx->token, digest, now));
      return Status::Ok();
    };
    Status s = partitions_->Write(partition, work, CreateCheckFor(*table), deadline);
    if (s.IsNotFound()) return s;
    if (!s.ok()) return OperationResult(ErrorOf(s));
    if (token == TokenState::kMismatch) return OperationResult(TokenMismatch());
    if (failed) return OperationResult(Cancelled(ConditionReasons(outcomes)));
    return OperationResult(TransactWriteAnswer(*tx, outcomes));
  });
}

OperationResult TableService::TransactGetItems(const json::object& request,
                                               const Deadline& deadline) {
  return WithTables([&](const dynamo::SchemaLookup& lookup,
                        Tables& tables) -> Result<OperationResult> {
    Result<dynamo::TransactGet> tx = dynamo::TransactGet::Parse(request, lookup);
    if (!tx.ok()) return OperationResult(ErrorOf(tx.status()));
    // Each partition read once, at its latest version, in one read transaction.
    std::map<std::string, std::vector<size_t>> by_partition;
    for (size_t i = 0; i < tx->actions.size(); i++) {
      const TableEntry& t = tables.at(tx->actions[i].table);
      by_partition[PartitionName(t.id, PartitionOf(tx->actions[i].get.key().pk, t.partitions))]
          .push_back(i);
    }
    std::vector<std::optional<StoredItem>> found(tx->actions.size());
    // Over several partitions, the reads stand together only if no partition moved between its
    // read and a second look after the last read: then all were current at one instant (a
    // transaction across partitions moves every partition it writes). Three tries.
    std::map<std::string, uint64_t> versions;
    bool together = false;
    for (int attempt = 0; attempt < 3 && !together; attempt++) {
      // Not a structured binding: clang before 16 cannot capture one in the lambda.
      for (const auto& partition : by_partition) {
        const std::vector<size_t>& indexes = partition.second;
        Status s = ReadSettled(partition.first, {}, true, deadline, [&](Connection* c) -> Status {
          for (size_t i : indexes) {
            found[i].reset();
            if (c) {
              CL_ASSIGN_OR_RETURN(found[i], ReadItem(*c, tx->actions[i].get.key()));
            }
          }
          CL_ASSIGN_OR_RETURN(versions[partition.first], VersionOf(c));
          return Status::Ok();
        });
        if (s.IsBusy()) return OperationResult(Conflicted(tx->actions.size()));
        if (s.IsNotFound()) return s;
        if (!s.ok()) return OperationResult(ErrorOf(s));
      }
      together = true;
      for (const auto& partition : by_partition) {
        if (by_partition.size() == 1) break;
        uint64_t now = 0;
        Status s = partitions_->Read(partition.first, true, deadline, [&](Connection* c) -> Status {
          CL_ASSIGN_OR_RETURN(now, VersionOf(c));
          return Status::Ok();
        });
        if (s.IsNotFound()) return s;
        if (!s.ok()) return OperationResult(ErrorOf(s));
        if (now != versions[partition.first]) {
          together = false;
          break;
        }
      }
    }
    if (!together) return OperationResult(Conflicted(tx->actions.size()));
    json::array responses;
    std::vector<std::pair<std::string, double>> units;
    for (size_t i = 0; i < tx->actions.size(); i++) {
      json::object one;
      if (found[i]) {
        std::optional<Item> answer = tx->actions[i].get.Answer(std::move(found[i]->item));
        if (answer) one["Item"] = dynamo::ItemToJson(*answer);
      }
      responses.push_back(std::move(one));
      AddUnits(&units, tx->actions[i].table,
               2 * dynamo::ReadUnits(found[i] ? found[i]->size : 0, true));
    }
    json::object out{{"Responses", std::move(responses)}};
    if (tx->capacity != dynamo::ReturnConsumedCapacity::kNone) {
      out["ConsumedCapacity"] = TransactionCapacity(units, true, tx->capacity);
    }
    return OperationResult(std::move(out));
  });
}

// ---- transactions across partitions (docs/dynamodb.md) ---------------------------------------

namespace {

// How long a read waits for a transaction in flight on its items (about 2 s in all), before it
// answers TransactionConflictException.
constexpr int kSettleTries = 64;

// Records the intent of transaction `txn` on `key` in its partition, for `outcome`'s effect (a
// ConditionCheck's, or an effect that changes nothing, only holds the item).
Status InsertIntent(Connection& c, const std::string& txn, bool check_only, const StoredKey& key,
                    const dynamo::WriteEffect& effect, int64_t now) {
  using Kind = dynamo::WriteEffect::Kind;
  const std::string kind = check_only || effect.kind == Kind::kNothing ? "check"
                           : effect.kind == Kind::kStore               ? "store"
                                                                       : "delete";
  cloudlite::Value item = nullptr;
  cloudlite::Value size = nullptr;
  if (kind == "store") {
    item = Blob{dynamo::EncodeItem(effect.item)};
    size = static_cast<int64_t>(effect.size);
  }
  return c
      .Query(
          "INSERT INTO intents (pk, sk, txn, kind, item, size, at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
          {Blob{key.pk}, Blob{key.sk}, txn, kind, item, size, now})
      .status();
}

}  // namespace

Result<Decisions*> TableService::decisions() {
  std::lock_guard lock(decisions_mu_);
  if (!decisions_) {
    CL_ASSIGN_OR_RETURN(decisions_, Decisions::Open(options_.store, options_.options));
  }
  return decisions_.get();
}

Result<Decision> TableService::Settle(const std::string& txn, int64_t prepared_micros) {
  CL_ASSIGN_OR_RETURN(Decisions * d, decisions());
  CL_ASSIGN_OR_RETURN(Decision now, d->Read(txn));
  if (now != Decision::kNone) return now;
  const int64_t age = WallClock().NowMicros() - prepared_micros;
  const int64_t abandoned =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.abandoned_transaction).count();
  if (age < abandoned) return Decision::kNone;  // in flight
  // Its coordinator stopped: abort it, unless it committed meanwhile (then that holds).
  return d->Decide(txn, Decision::kAbort, "");
}

Status TableService::SettleKey(Connection& c, const StoredKey& key, std::string_view own) {
  CL_ASSIGN_OR_RETURN(std::vector<Intent> held, IntentsIn(c, &key.pk, &key.sk));
  if (held.empty() || held[0].txn == own) return Status::Ok();
  CL_ASSIGN_OR_RETURN(Decision d, Settle(held[0].txn, held[0].at));
  if (d == Decision::kNone) return ItemInTransaction();
  return ResolveIntent(c, held[0], d);
}

Status TableService::ResolveIntents(const std::string& name,
                                    const std::map<std::string, Decision>& decided,
                                    const Deadline& deadline) {
  Partitions::Work work = [&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(std::vector<Intent> all, IntentsIn(c, nullptr, nullptr));
    for (const Intent& in : all) {
      auto it = decided.find(in.txn);
      if (it != decided.end()) CL_RETURN_IF_ERROR(ResolveIntent(c, in, it->second));
    }
    return Status::Ok();
  };
  return partitions_->Write(name, work, Partitions::CreateCheck(), deadline);
}

Status TableService::ReadSettled(const std::string& name, IntentScope scope, bool consistent,
                                 const Deadline& deadline,
                                 const std::function<Status(Connection*)>& fn) {
  for (int attempt = 0;; attempt++) {
    std::vector<Intent> pending;
    // After intents were met, at the latest version: a stale snapshot may still show intents
    // that were applied since.
    Status s =
        partitions_->Read(name, consistent || attempt > 0, deadline, [&](Connection* c) -> Status {
          pending.clear();
          if (c) {
            CL_ASSIGN_OR_RETURN(pending, IntentsIn(*c, scope.pk, scope.sk));
          }
          if (!pending.empty()) return Status::Ok();
          return fn(c);
        });
    if (!s.ok() || pending.empty()) return s;
    std::map<std::string, Decision> decided;
    bool in_flight = false;
    for (const Intent& in : pending) {
      if (decided.count(in.txn)) continue;
      CL_ASSIGN_OR_RETURN(Decision d, Settle(in.txn, in.at));
      if (d == Decision::kNone) {
        in_flight = true;
      } else {
        decided[in.txn] = d;
      }
    }
    if (!decided.empty()) CL_RETURN_IF_ERROR(ResolveIntents(name, decided, deadline));
    if (in_flight) {
      if (attempt + 1 >= kSettleTries || deadline.Passed()) return ItemInTransaction();
      std::this_thread::sleep_for(std::chrono::milliseconds(1 << std::min(attempt, 5)));
    }
  }
}

Result<OperationResult> TableService::TransactAcrossPartitions(const dynamo::TransactWrite& tx,
                                                               const Tables& tables,
                                                               const json::object& request,
                                                               const Deadline& deadline) {
  const size_t n = tx.actions.size();
  CL_ASSIGN_OR_RETURN(Decisions * decisions, this->decisions());
  // By name: every coordinator prepares partitions in one order.
  std::map<std::string, std::vector<size_t>> by_partition;
  std::map<std::string, const TableEntry*> table_of;
  for (size_t i = 0; i < n; i++) {
    const TableEntry& t = tables.at(tx.actions[i]->table);
    std::string name =
        PartitionName(t.id, PartitionOf(tx.actions[i]->write.key().pk, t.partitions));
    by_partition[name].push_back(i);
    table_of[name] = &t;
  }
  const int64_t digest = static_cast<int64_t>(Checksum(json::serialize(request), 0));
  const int64_t now = WallClock().NowMicros();
  std::vector<dynamo::WriteOutcome> outcomes(n);
  if (tx.token) {
    TokenState state = TokenState::kNew;
    CL_RETURN_IF_ERROR(decisions->View([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(state, ReadToken(c, *tx.token, digest, now));
      return Status::Ok();
    }));
    if (state == TokenState::kMismatch) return OperationResult(TokenMismatch());
    if (state == TokenState::kReplay) return OperationResult(TransactWriteAnswer(tx, outcomes));
  }

  // 1. Every condition, on the items as they are: a transaction its conditions cancel writes
  // nothing and gives every reason.
  // Not structured bindings: clang before 16 cannot capture one in a lambda.
  for (const auto& part : by_partition) {
    const std::vector<size_t>& indexes = part.second;
    Status s = ReadSettled(part.first, {}, true, deadline, [&](Connection* c) -> Status {
      for (size_t i : indexes) {
        std::optional<StoredItem> current;
        if (c) {
          CL_ASSIGN_OR_RETURN(current, ReadItem(*c, tx.actions[i]->write.key()));
        }
        CL_ASSIGN_OR_RETURN(outcomes[i],
                            tx.actions[i]->write.Apply(current ? &current->item : nullptr));
      }
      return Status::Ok();
    });
    if (s.IsBusy()) return OperationResult(Conflicted(n));
    if (s.IsNotFound()) return s;
    if (!s.ok()) return OperationResult(ErrorOf(s));
  }
  if (std::any_of(outcomes.begin(), outcomes.end(),
                  [](const dynamo::WriteOutcome& o) { return o.condition_failed; })) {
    return OperationResult(Cancelled(ConditionReasons(outcomes)));
  }

  // 2. Prepare: in each partition, the conditions again and an intent per item, in one write.
  const std::string txn = RandomHex(16);
  std::string names;
  for (const auto& part : by_partition) names += (names.empty() ? "" : ",") + part.first;
  const KeyGuard guard = [this, &txn](Connection& c, const StoredKey& key) {
    return SettleKey(c, key, txn);
  };
  std::vector<std::string> prepared;
  bool failed = false;
  bool conflict = false;
  Status error;
  for (const auto& part : by_partition) {
    const std::vector<size_t>& indexes = part.second;
    bool part_failed = false;
    Partitions::Work work = [&](Connection& c) -> Status {
      part_failed = false;
      for (size_t i : indexes) {
        CL_ASSIGN_OR_RETURN(outcomes[i], DecideWrite(c, tx.actions[i]->write, guard));
        part_failed = part_failed || outcomes[i].condition_failed;
      }
      if (part_failed) return Status::Ok();
      for (size_t i : indexes) {
        CL_RETURN_IF_ERROR(InsertIntent(c, txn, tx.actions[i]->check_only,
                                        tx.actions[i]->write.key(), outcomes[i].effect, now));
      }
      return Status::Ok();
    };
    Status s =
        partitions_->Write(part.first, work, CreateCheckFor(*table_of.at(part.first)), deadline);
    if (s.IsBusy()) {
      conflict = true;
    } else if (!s.ok()) {
      error = s;
    } else if (part_failed) {
      failed = true;
    } else {
      prepared.push_back(part.first);
      continue;
    }
    break;
  }
  const bool go = error.ok() && !failed && !conflict;
  if (go && options_.transaction_stage) CL_RETURN_IF_ERROR(options_.transaction_stage("prepared"));

  // 3. Decide: the commit point, or the abort.
  TokenState token = TokenState::kNew;
  std::function<Result<bool>(Connection&)> with_commit;
  if (tx.token) {
    with_commit = [&](Connection& c) -> Result<bool> {
      CL_ASSIGN_OR_RETURN(token, ReadToken(c, *tx.token, digest, now));
      if (token != TokenState::kNew) return false;  // another run of the request came first
      CL_RETURN_IF_ERROR(RecordToken(c, *tx.token, digest, now));
      return true;
    };
  }
  Result<Decision> decided =
      decisions->Decide(txn, go ? Decision::kCommit : Decision::kAbort, names, with_commit);
  // Not known whether it committed: the intents stay for whoever meets them to settle.
  if (!decided.ok()) return OperationResult(ErrorOf(decided.status()));
  if (options_.transaction_stage) CL_RETURN_IF_ERROR(options_.transaction_stage("decided"));

  // 4. Apply (or drop) the intents; the decision row goes once none is left.
  bool clean = true;
  for (const std::string& name : prepared) {
    clean = ResolveIntents(name, {{txn, *decided}}, deadline).ok() && clean;
  }
  if (clean) (void)decisions->Forget(txn);  // else a later sweep deletes it

  if (*decided == Decision::kCommit) return OperationResult(TransactWriteAnswer(tx, outcomes));
  if (!error.ok()) return OperationResult(ErrorOf(error));
  if (token == TokenState::kMismatch) return OperationResult(TokenMismatch());
  if (token == TokenState::kReplay) {
    return OperationResult(TransactWriteAnswer(tx, std::vector<dynamo::WriteOutcome>(n)));
  }
  if (failed) return OperationResult(Cancelled(ConditionReasons(outcomes)));
  return OperationResult(Conflicted(n));  // an item held, or aborted by a resolver
}

}  // namespace cloudlite::server::dynamodb
