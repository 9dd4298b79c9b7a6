#include "store/dynamodb/dynamodb_store.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/random.h"
#include "net/server_text.h"
#include "store/dynamodb/dynamodb_batch.h"
#include "store/dynamodb/dynamodb_client.h"
#include "store/dynamodb/dynamodb_items.h"
#include "store/dynamodb/dynamodb_layout.h"
#include "store/dynamodb/dynamodb_table.h"

namespace cloudlite {
namespace {

using ddb::B;
using ddb::EntryKind;
using ddb::GetB;
using ddb::GetS;
using ddb::HeadInfo;
using ddb::Json;
using ddb::JsonArray;
using ddb::JsonObject;
using ddb::kAttrChild;
using ddb::kAttrChunk;
using ddb::kAttrData;
using ddb::kAttrGen;
using ddb::kAttrKey;
using ddb::kAttrSize;
using ddb::kAttrType;
using ddb::kAttrWriter;
using ddb::Member;
using ddb::N;
using ddb::S;
using ddb::Step;
using ddb::Uint128;

constexpr size_t kQueryPageMax = 1000;       // items per Query page we ask for
constexpr size_t kMaxPrefix = 512;           // so that every partition key stays under 2048 bytes
constexpr size_t kMaxChunkSize = 350 << 10;  // a chunk item must stay under 400 KB
constexpr size_t kMetaCacheMax = 4096;

JsonObject NodeKey(const std::string& node, Uint128 range) {
  return {{ddb::kHashKey, S(node)}, {ddb::kRangeKey, N(ddb::RangeText(range))}};
}

// Every chunk is its own partition ("cloudlite/b/<gen>/<index>", range key 0): DynamoDB limits
// the throughput of one partition (about 1 MB/s of writes), so the chunks of a big object must
// not share one. Batch requests take keys from any partition, so this costs nothing.
std::string BlobPrefix(std::string_view gen) {
  return std::string(ddb::kBlobTag) + std::string(gen) + "/";
}

JsonObject ChunkKey(std::string_view gen, uint64_t index) {
  return {{ddb::kHashKey, S(BlobPrefix(gen) + std::to_string(index))}, {ddb::kRangeKey, N(0)}};
}

Json PutRequest(JsonObject item) { return {{"PutRequest", {{"Item", std::move(item)}}}}; }
Json DeleteRequest(Json key) { return {{"DeleteRequest", {{"Key", std::move(key)}}}}; }

// Entries this process has put (or seen put) in each table: writing them again is a waste of a
// write request. Process-wide, so that stores opened per request (Lambda) share it.
class KnownEntries {
 public:
  static KnownEntries& Get() {
    static KnownEntries* known = new KnownEntries();  // never destroyed: used until exit
    return *known;
  }
  bool Has(const std::string& id) {
    std::lock_guard lock(mu_);
    return ids_.contains(id);
  }
  void Add(const std::vector<std::string>& ids) {
    std::lock_guard lock(mu_);
    if (ids_.size() > 100000) ids_.clear();  // bounded; forgetting costs one idempotent write
    ids_.insert(ids.begin(), ids.end());
  }

 private:
  std::mutex mu_;
  std::unordered_set<std::string> ids_;
};

class DynamoDbStore final : public ObjectStore {
 public:
  explicit DynamoDbStore(DynamoDbStoreOptions o, ddb::DynamoDbClientOptions client_options)
      : o_(std::move(o)),
        client_(std::move(client_options)),
        batch_(&client_, o_.table, o_.retry),
        key_prefix_(o_.prefix.empty() ? "" : o_.prefix + "/"),
        describe_("dynamodb://" + o_.table + (o_.prefix.empty() ? "" : "/" + o_.prefix)),
        known_scope_(client_.options().endpoint + "\n" + o_.table + "\n") {}

  Result<std::string> Get(std::string_view key) override {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    const std::string full = key_prefix_ + std::string(key);
    const Step leaf = ddb::PathTo(full).back();
    std::string last_gen;
    for (int round = 0;; round++) {
      CL_ASSIGN_OR_RETURN(HeadInfo head, ReadHead(leaf, full, key, /*projection=*/""));
      if (!head.chunked()) return std::move(head.data);
      CL_ASSIGN_OR_RETURN(auto chunks, FetchChunks(head, 0, head.chunks() - 1, key));
      if (chunks.has_value()) return Assemble(head, 0, head.size, *chunks);
      // A chunk is gone: the object was replaced or deleted while we read. Look again, but a
      // head that keeps naming missing chunks is damage, not a race.
      if (head.gen == last_gen || round >= 3) return MissingChunks(key, head);
      last_gen = head.gen;
    }
  }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    const std::string full = key_prefix_ + std::string(key);
    const Step leaf = ddb::PathTo(full).back();
    std::optional<HeadInfo> head;
    if (std::optional<HeadInfo> cached = CachedMeta(full)) {
      // One request for the head and the chunks it named when we last saw it; the chunks are
      // used only if the head still names them.
      CL_ASSIGN_OR_RETURN(CachedRead read,
                          ReadHeadWithChunks(leaf, full, key, *cached, offset, length));
      if (read.data.has_value()) return std::move(*read.data);
      head = std::move(read.head);
    }
    std::string last_gen;
    for (int round = 0;; round++) {
      if (!head.has_value()) {
        CL_ASSIGN_OR_RETURN(head, ReadHead(leaf, full, key, ""));
      }
      const auto [begin, end] = Clip(*head, offset, length);
      if (!head->chunked()) return head->data.substr(begin, end - begin);
      Remember(full, *head);
      if (begin == end) return std::string();
      CL_ASSIGN_OR_RETURN(auto chunks, FetchChunks(*head, begin / head->chunk_size,
                                                   (end - 1) / head->chunk_size, key));
      if (chunks.has_value()) return Assemble(*head, begin, end, *chunks);
      if (head->gen == last_gen || round >= 3) return MissingChunks(key, *head);
      last_gen = head->gen;
      head.reset();
    }
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    const std::string full = key_prefix_ + std::string(key);
    CL_ASSIGN_OR_RETURN(HeadInfo head,
                        ReadHead(ddb::PathTo(full).back(), full, key, "#t, #k, #z, #g, #c"));
    return ObjectInfo{head.size};
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    const std::string full = key_prefix_ + std::string(key);
    const std::vector<Step> path = ddb::PathTo(full);
    std::string gen;
    CL_RETURN_IF_ERROR(Prepare(path, data, key, &gen));
    const std::string nonce = RandomHex(16);
    JsonObject item = HeadItem(path.back(), full, data, gen);
    item[kAttrWriter] = S(nonce);
    const Json request = {
        {"TableName", o_.table},
        {"Item", std::move(item)},
        {"ConditionExpression", "attribute_not_exists(#h) OR #w = :w"},
        {"ExpressionAttributeNames", {{"#h", ddb::kHashKey}, {"#w", kAttrWriter}}},
        {"ExpressionAttributeValues", {{":w", S(nonce)}}},
    };
    const std::string what = "PutItem " + Name(key) + " (if absent)";
    // Set once an attempt may have reached DynamoDB without our seeing the answer. A retry is
    // still conclusive (our own item satisfies the condition), so this only matters when
    // attempts run out.
    bool maybe_written = false;
    Status last;
    const int attempts = std::max(1, o_.retry.max_attempts);
    for (int n = 1; n <= attempts; n++) {
      if (n > 1) o_.retry.Pause(o_.retry.Delay(n - 1));
      Delivery delivery = Delivery::kNotDelivered;
      Result<Json> r = client_.CallOnce("PutItem", request, what, &delivery);
      if (r.ok()) {
        Forget(full);
        return Status::Ok();
      }
      last = r.status();
      if (last.IsAlreadyExists()) {
        // Someone else's item: our chunks (if any) are referenced by nothing.
        if (!gen.empty()) (void)DeleteChunks(gen, ChunkCount(data.size()));
        return Status::AlreadyExists("object \"" + std::string(key) + "\" already exists in " +
                                     describe_);
      }
      if (delivery == Delivery::kPossiblyDelivered) maybe_written = true;
      if (!last.IsRetryable()) break;
    }
    if (maybe_written) {
      return Status::Ambiguous(what +
                               ": outcome unknown: an attempt may have reached DynamoDB without "
                               "an answer; last error: " +
                               last.ToString());
    }
    if (last.IsRetryable()) {
      return Status(last.code(),
                    last.message() + " (gave up after " + std::to_string(attempts) + " attempts)");
    }
    return last;
  }

  Status Put(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    const std::string full = key_prefix_ + std::string(key);
    const std::vector<Step> path = ddb::PathTo(full);
    std::string gen;
    CL_RETURN_IF_ERROR(Prepare(path, data, key, &gen));
    const Json request = {{"TableName", o_.table},
                          {"Item", HeadItem(path.back(), full, data, gen)},
                          {"ReturnValues", "ALL_OLD"}};
    CL_ASSIGN_OR_RETURN(Json r, client_.Call("PutItem", request, "PutItem " + Name(key)));
    Forget(full);
    // The old generation's chunks are unreferenced now. A reader still holding the old head
    // finds them gone and reads the head again. Failing to delete them leaves garbage, not a
    // wrong answer, so it does not fail the Put.
    if (const Json* old = Member(r, "Attributes"); old != nullptr && old->is_object()) {
      Result<HeadInfo> old_head = DecodeHead(*old, full, key, /*complete=*/true);
      if (old_head.ok() && old_head->chunked() && old_head->gen != gen) {
        (void)DeleteChunks(old_head->gen, old_head->chunks());
      }
    }
    return Status::Ok();
  }

  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    ListState st;
    st.prefix = key_prefix_ + std::string(prefix);
    st.start_after = start_after.empty() ? "" : key_prefix_ + std::string(start_after);
    st.want = std::max<size_t>(limit, 1);  // limit 0: look for one key only to learn `more`
    st.what = "Query " + describe_ + "/" + std::string(prefix);
    ListPage page;
    const ddb::PrefixRange range = ddb::RangeOf(st.prefix);
    std::vector<Step> bound;
    if (!st.start_after.empty() && st.start_after >= st.prefix) {
      if (!st.start_after.starts_with(st.prefix)) return page;  // after every key of the prefix
      bound = ddb::PathTo(st.start_after);
      // Its first steps are the prefix's own: the walk starts below them.
      bound.erase(bound.begin(), bound.begin() + static_cast<std::ptrdiff_t>(range.above.size()));
    } else {
      st.start_after.clear();
    }
    CL_RETURN_IF_ERROR(
        Walk(&st, range.node, range.lo, range.hi, bound.empty() ? nullptr : &bound, 0));
    for (std::string& key : st.keys) page.keys.push_back(key.substr(key_prefix_.size()));
    page.more = st.keys.size() >= st.want;
    if (limit == 0) page.keys.clear();
    return page;
  }

  Status Delete(std::span<const std::string> keys) override {
    for (const std::string& key : keys) CL_RETURN_IF_ERROR(ValidateKey(key));
    if (keys.empty()) return Status::Ok();
    if (keys.size() == 1) return DeleteOne(keys[0]);
    // Many keys: learn which heads have chunks (BatchGetItem), delete the heads (the objects
    // disappear), then the chunks.
    std::set<std::string> fulls;
    for (const std::string& key : keys) fulls.insert(key_prefix_ + key);
    std::vector<Json> head_keys;
    std::map<std::string, std::string> full_of_node;  // "node\nrange" -> full key, for matching
    for (const std::string& full : fulls) {
      Forget(full);
      const Step leaf = ddb::PathTo(full).back();
      head_keys.push_back(NodeKey(leaf.node, leaf.range));
    }
    const std::string what =
        "deleting " + std::to_string(fulls.size()) + " objects from " + describe_;
    CL_ASSIGN_OR_RETURN(std::vector<Json> heads,
                        BatchGet(head_keys, "#h, #r, #t, #k, #z, #g, #c", what));
    std::vector<std::pair<std::string, uint64_t>> chunk_sets;
    for (const Json& item : heads) {
      std::optional<std::string> full = GetS(item, kAttrKey);
      if (!full || !fulls.contains(*full)) continue;
      Result<HeadInfo> h = DecodeHead(item, *full, *full, /*complete=*/false);
      if (h.ok() && h->chunked()) chunk_sets.emplace_back(h->gen, h->chunks());
    }
    std::vector<Json> deletes;
    deletes.reserve(head_keys.size());
    for (Json& k : head_keys) deletes.push_back(DeleteRequest(std::move(k)));
    CL_RETURN_IF_ERROR(BatchWrite(std::move(deletes), what));
    for (const auto& [gen, count] : chunk_sets) CL_RETURN_IF_ERROR(DeleteChunks(gen, count));
    return Status::Ok();
  }

  std::string Describe() const override { return describe_; }
  bool BillsWritesByKiB() const override { return true; }

  // DescribeTable: the table exists and has the key schema this layout needs.
  Result<bool> CheckAccess() override {
    CL_RETURN_IF_ERROR(CheckTable());
    return true;
  }

  Status CheckTable() { return ddb::CheckTable(client_, o_.table, "opening " + describe_); }

 private:
  struct ListState {
    std::string prefix, start_after, what;
    size_t want = 0;
    std::vector<std::string> keys;
  };

  std::string Name(std::string_view key) const { return describe_ + "/" + std::string(key); }

  size_t ChunkCount(size_t size) const { return (size + o_.chunk_size - 1) / o_.chunk_size; }

  JsonObject HeadItem(const Step& leaf, const std::string& full, std::string_view data,
                      const std::string& gen) const {
    JsonObject item = NodeKey(leaf.node, leaf.range);
    item[kAttrType] = S("o");
    item[kAttrKey] = S(full);
    item[kAttrSize] = N(data.size());
    if (!gen.empty()) {
      item[kAttrGen] = S(gen);
      item[kAttrChunk] = N(o_.chunk_size);
    } else if (!data.empty()) {
      item[kAttrData] = B(data);
    }
    return item;
  }

  // Before a head is written: the entries that lead to it (unless this process knows they are
  // there) and, for a big object, its chunks under a new generation (*gen). One BatchWriteItem
  // for an ordinary first write, none for an ordinary later one.
  Status Prepare(const std::vector<Step>& path, std::string_view data, std::string_view key,
                 std::string* gen) {
    std::vector<Json> writes;
    std::vector<std::string> ids;
    for (size_t i = 0; i + 1 < path.size(); i++) {
      const Step& s = path[i];
      std::string id = known_scope_ + s.node + "\n" + ddb::RangeText(s.range);
      if (KnownEntries::Get().Has(id)) continue;
      JsonObject item = NodeKey(s.node, s.range);
      item[kAttrType] = S(s.kind == EntryKind::kDirectory ? "d" : "c");
      item[kAttrChild] = S(s.child);
      writes.push_back(PutRequest(std::move(item)));
      ids.push_back(std::move(id));
    }
    if (data.size() > o_.chunk_size) {
      *gen = RandomHex(16);
      for (uint64_t i = 0, off = 0; off < data.size(); i++, off += o_.chunk_size) {
        JsonObject item = ChunkKey(*gen, i);
        item[kAttrData] = B(data.substr(off, o_.chunk_size));
        writes.push_back(PutRequest(std::move(item)));
      }
    }
    if (writes.empty()) return Status::Ok();
    CL_RETURN_IF_ERROR(BatchWrite(std::move(writes), "writing " + Name(key)));
    KnownEntries::Get().Add(ids);
    return Status::Ok();
  }

  // GetItem of the head, strongly consistent. NotFound when there is no object.
  Result<HeadInfo> ReadHead(const Step& leaf, const std::string& full, std::string_view key,
                            std::string_view projection) {
    JsonObject request = {
        {"TableName", o_.table}, {"Key", NodeKey(leaf.node, leaf.range)}, {"ConsistentRead", true}};
    if (!projection.empty()) {
      request["ProjectionExpression"] = projection;
      request["ExpressionAttributeNames"] = AttributeNames(projection);
    }
    CL_ASSIGN_OR_RETURN(Json r,
                        client_.Call("GetItem", Json(std::move(request)), "GetItem " + Name(key)));
    const Json* it = Member(r, "Item");
    if (it == nullptr || !it->is_object()) {
      return Status::NotFound("object \"" + std::string(key) + "\" not found in " + describe_);
    }
    return DecodeHead(*it, full, key, /*complete=*/projection.empty());
  }

  static Json AttributeNames(std::string_view projection) {
    JsonObject names;
    static const std::pair<const char*, std::string_view> kNames[] = {
        {"#h", ddb::kHashKey}, {"#r", ddb::kRangeKey}, {"#t", kAttrType},
        {"#k", kAttrKey},      {"#z", kAttrSize},      {"#g", kAttrGen},
        {"#c", kAttrChunk},    {"#n", kAttrChild},     {"#d", kAttrData}};
    for (const auto& [alias, name] : kNames) {
      if (projection.find(alias) != std::string_view::npos) names[alias] = name;
    }
    return names;
  }

  Result<HeadInfo> DecodeHead(const Json& item, const std::string& full, std::string_view key,
                              bool complete) const {
    return ddb::DecodeHead(item, full, Name(key), complete);
  }

  // [begin, end) of the object that a GetRange(offset, length) covers.
  static std::pair<uint64_t, uint64_t> Clip(const HeadInfo& head, uint64_t offset,
                                            uint64_t length) {
    if (offset >= head.size) return {head.size, head.size};
    const uint64_t end = length > head.size - offset ? head.size : offset + length;
    return {offset, end};
  }

  // Chunks [first, last] of a head's generation by index, or nullopt when one is missing.
  Result<std::optional<std::map<uint64_t, std::string>>> FetchChunks(const HeadInfo& head,
                                                                     uint64_t first, uint64_t last,
                                                                     std::string_view key) {
    std::vector<Json> keys;
    for (uint64_t i = first; i <= last; i++) keys.emplace_back(ChunkKey(head.gen, i));
    CL_ASSIGN_OR_RETURN(std::vector<Json> items, BatchGet(keys, "", "reading " + Name(key)));
    std::map<uint64_t, std::string> chunks;
    CL_RETURN_IF_ERROR(CollectChunks(items, head, key, &chunks));
    for (uint64_t i = first; i <= last; i++) {
      if (!chunks.contains(i)) return std::optional<std::map<uint64_t, std::string>>();
    }
    return std::optional(std::move(chunks));
  }

  Status CollectChunks(const std::vector<Json>& items, const HeadInfo& head, std::string_view key,
                       std::map<uint64_t, std::string>* chunks) const {
    const std::string prefix = BlobPrefix(head.gen);
    for (const Json& item : items) {
      std::optional<std::string> hash = GetS(item, ddb::kHashKey.data());
      if (!hash || !hash->starts_with(prefix)) continue;
      std::optional<uint64_t> index;
      uint64_t parsed = 0;
      const char* begin = hash->data() + prefix.size();
      const char* end = hash->data() + hash->size();
      if (auto [at, ec] = std::from_chars(begin, end, parsed); ec == std::errc() && at == end) {
        index = parsed;
      }
      bool bad = false;
      std::optional<std::string> data = GetB(item, kAttrData, &bad);
      const uint64_t want =
          index
              ? std::min(head.chunk_size, head.size - std::min(head.size, *index * head.chunk_size))
              : 0;
      if (!index || bad || !data || data->size() != want) {
        return Status::Corruption("DynamoDB chunk of " + Name(key) + " (generation " + head.gen +
                                  ") is malformed or has the wrong size");
      }
      (*chunks)[*index] = std::move(*data);
    }
    return Status::Ok();
  }

  std::string Assemble(const HeadInfo& head, uint64_t begin, uint64_t end,
                       const std::map<uint64_t, std::string>& chunks) const {
    std::string out;
    out.reserve(end - begin);
    for (uint64_t pos = begin; pos < end;) {
      const uint64_t index = pos / head.chunk_size;
      const std::string& chunk = chunks.at(index);
      const uint64_t from = pos - index * head.chunk_size;
      const uint64_t n = std::min<uint64_t>(chunk.size() - from, end - pos);
      out.append(chunk, from, n);
      pos += n;
    }
    return out;
  }

  Status MissingChunks(std::string_view key, const HeadInfo& head) const {
    return Status::Corruption("DynamoDB chunks of " + Name(key) + " (generation " + head.gen +
                              ") are missing although its head names them");
  }

  // The cached-head path of GetRange: the answer, or the current head to continue with.
  struct CachedRead {
    std::optional<std::string> data;
    std::optional<HeadInfo> head;
  };
  Result<CachedRead> ReadHeadWithChunks(const Step& leaf, const std::string& full,
                                        std::string_view key, const HeadInfo& cached,
                                        uint64_t offset, uint64_t length) {
    const auto [begin, end] = Clip(cached, offset, length);
    std::vector<Json> keys;
    keys.emplace_back(NodeKey(leaf.node, leaf.range));
    if (begin < end) {
      for (uint64_t i = begin / cached.chunk_size; i <= (end - 1) / cached.chunk_size; i++) {
        keys.emplace_back(ChunkKey(cached.gen, i));
      }
    }
    CL_ASSIGN_OR_RETURN(std::vector<Json> items, BatchGet(keys, "", "reading " + Name(key)));
    const Json* head_item = nullptr;
    for (const Json& item : items) {
      if (GetS(item, ddb::kHashKey.data()) == leaf.node) head_item = &item;
    }
    if (head_item == nullptr) {
      Forget(full);
      return Status::NotFound("object \"" + std::string(key) + "\" not found in " + describe_);
    }
    CL_ASSIGN_OR_RETURN(HeadInfo head, DecodeHead(*head_item, full, key, /*complete=*/true));
    if (head.gen != cached.gen || head.size != cached.size ||
        head.chunk_size != cached.chunk_size) {
      Forget(full);
      return CachedRead{std::nullopt, std::move(head)};  // replaced since: go the long way
    }
    std::map<uint64_t, std::string> chunks;
    CL_RETURN_IF_ERROR(CollectChunks(items, head, key, &chunks));
    if (begin < end) {
      for (uint64_t i = begin / head.chunk_size; i <= (end - 1) / head.chunk_size; i++) {
        if (!chunks.contains(i)) return CachedRead{std::nullopt, std::move(head)};
      }
    }
    return CachedRead{begin < end ? Assemble(head, begin, end, chunks) : std::string(), {}};
  }

  Result<std::vector<Json>> BatchGet(const std::vector<Json>& keys, std::string_view projection,
                                     const std::string& what) {
    return batch_.Get(keys, projection, AttributeNames(projection), what);
  }
  Status BatchWrite(std::vector<Json> writes, const std::string& what) {
    return batch_.Write(std::move(writes), what);
  }

  Status DeleteChunks(const std::string& gen, uint64_t count) {
    std::vector<Json> deletes;
    for (uint64_t i = 0; i < count; i++) {
      deletes.push_back(DeleteRequest(ChunkKey(gen, i)));
    }
    return BatchWrite(std::move(deletes),
                      "deleting the chunks of generation " + gen + " in " + describe_);
  }

  Status DeleteOne(const std::string& key) {
    const std::string full = key_prefix_ + key;
    Forget(full);
    const Step leaf = ddb::PathTo(full).back();
    const Json request = {{"TableName", o_.table},
                          {"Key", NodeKey(leaf.node, leaf.range)},
                          {"ReturnValues", "ALL_OLD"}};
    CL_ASSIGN_OR_RETURN(Json r, client_.Call("DeleteItem", request, "DeleteItem " + Name(key)));
    if (const Json* old = Member(r, "Attributes"); old != nullptr && old->is_object()) {
      Result<HeadInfo> h = DecodeHead(*old, full, key, /*complete=*/true);
      if (h.ok() && h->chunked()) return DeleteChunks(h->gen, h->chunks());
    }
    return Status::Ok();
  }

  // Depth-first walk of one node's entries with range keys in [lo, hi], in order. `bound` is
  // the path of start_after below this node (nullptr: no bound here): entries before its step
  // are skipped by the key condition, the entry on it is followed with the rest of the path.
  Status Walk(ListState* st, const std::string& node, Uint128 lo, Uint128 hi,
              const std::vector<Step>* bound, size_t depth) {
    const Step* b = bound != nullptr && depth < bound->size() ? &(*bound)[depth] : nullptr;
    if (b != nullptr && b->node != node) {
      return Status::Internal(st->what + ": list bound does not follow the walk");
    }
    const Uint128 from = b != nullptr ? std::max(lo, b->range) : lo;
    if (from > hi) return Status::Ok();
    JsonObject request = {
        {"TableName", o_.table},
        {"KeyConditionExpression", "#h = :h AND #r BETWEEN :lo AND :hi"},
        {"ExpressionAttributeNames", AttributeNames("#h, #r, #t, #k, #n")},
        {"ExpressionAttributeValues",
         {{":h", S(node)}, {":lo", N(ddb::RangeText(from))}, {":hi", N(ddb::RangeText(hi))}}},
        {"ProjectionExpression", "#h, #r, #t, #k, #n"},
        {"ConsistentRead", true},
    };
    for (;;) {
      const size_t need = st->want - st->keys.size();
      request["Limit"] = std::clamp<size_t>(need, 1, kQueryPageMax);
      CL_ASSIGN_OR_RETURN(Json r, client_.Call("Query", request, st->what));
      if (const Json* items = Member(r, "Items"); items != nullptr && items->is_array()) {
        for (const Json& item : items->get_array()) {
          const std::optional<std::string> type = GetS(item, kAttrType);
          if (type == "o") {
            std::optional<std::string> key = GetS(item, kAttrKey);
            if (!key) return Status::Corruption(st->what + ": an object head without a key");
            if (b != nullptr && b->kind == EntryKind::kObject && *key == st->start_after) continue;
            if (!key->starts_with(st->prefix) ||
                (!st->start_after.empty() && *key <= st->start_after) ||
                (!st->keys.empty() && *key <= st->keys.back())) {
              return Status::Corruption(st->what + ": item for \"" + SafeServerText(*key) +
                                        "\" is out of place in the layout");
            }
            st->keys.push_back(std::move(*key));
          } else if (type == "d" || type == "c") {
            std::optional<std::string> child = GetS(item, kAttrChild);
            if (!child) return Status::Corruption(st->what + ": an entry without a child");
            const bool on_bound =
                b != nullptr && b->kind != EntryKind::kObject && b->child == *child;
            CL_RETURN_IF_ERROR(Walk(st, *child, 0, ddb::kMaxRange, on_bound ? bound : nullptr,
                                    on_bound ? depth + 1 : 0));
          } else {
            return Status::Corruption(st->what + ": an item of unknown type in " +
                                      SafeServerText(node));
          }
          if (st->keys.size() >= st->want) return Status::Ok();
        }
      }
      const Json* last = Member(r, "LastEvaluatedKey");
      if (last == nullptr || !last->is_object()) return Status::Ok();
      request["ExclusiveStartKey"] = *last;
    }
  }

  // Heads of chunked objects seen by GetRange, so that the next GetRange can fetch the head
  // and the chunks in one request.
  std::optional<HeadInfo> CachedMeta(const std::string& full) {
    std::lock_guard lock(meta_mu_);
    auto it = meta_.find(full);
    if (it == meta_.end()) return std::nullopt;
    return it->second;
  }
  void Remember(const std::string& full, const HeadInfo& head) {
    std::lock_guard lock(meta_mu_);
    if (meta_.size() >= kMetaCacheMax) meta_.clear();
    HeadInfo meta;
    meta.size = head.size;
    meta.gen = head.gen;
    meta.chunk_size = head.chunk_size;
    meta_[full] = std::move(meta);
  }
  void Forget(const std::string& full) {
    std::lock_guard lock(meta_mu_);
    meta_.erase(full);
  }

  const DynamoDbStoreOptions o_;
  ddb::DynamoDbClient client_;
  ddb::DynamoDbBatch batch_;
  const std::string key_prefix_;  // "prefix/" or ""
  const std::string describe_;
  const std::string known_scope_;  // endpoint and table, for KnownEntries ids
  std::mutex meta_mu_;
  std::unordered_map<std::string, HeadInfo> meta_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenDynamoDbStoreWithOptions(DynamoDbStoreOptions o) {
  if (!IsValidTableName(o.table)) {
    return Status::InvalidArgument("bad DynamoDB table name \"" + o.table +
                                   "\": use 3 to 255 letters, digits, '_', '-' and '.'");
  }
  if (!o.prefix.empty()) {
    Status s = ValidateKey(o.prefix);
    if (!s.ok() || o.prefix.size() > kMaxPrefix) {
      return Status::InvalidArgument("bad prefix in dynamodb://" + o.table + "/" + o.prefix + ": " +
                                     (s.ok() ? "longer than 512 bytes" : s.message()));
    }
  }
  if (o.aws.credentials.empty()) {
    return Status::PermissionDenied("no AWS credentials for dynamodb://" + o.table + ": " +
                                    std::string(ddb::kCredentialsHint));
  }
  if (o.chunk_size == 0 || o.chunk_size > kMaxChunkSize) {
    return Status::InvalidArgument("DynamoDB chunk size must be 1 to " +
                                   std::to_string(kMaxChunkSize) + " bytes");
  }
  CL_ASSIGN_OR_RETURN(ddb::DynamoDbClientOptions c,
                      ddb::ClientOptions(o.table, o.aws, o.http, o.retry));
  const bool check = o.check_table;
  auto store = std::make_unique<DynamoDbStore>(std::move(o), std::move(c));
  if (check) CL_RETURN_IF_ERROR(store->CheckTable());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

Result<std::unique_ptr<ObjectStore>> OpenDynamoDbStore(Uri& uri, bool /*create*/) {
  DynamoDbStoreOptions o;
  o.check_table = false;  // OpenStore calls CheckAccess, through the request counter
  o.table = uri.authority;
  o.prefix = uri.path;
  const std::string endpoint = uri.TakeParam("endpoint");
  const std::string region = uri.TakeParam("region");
  const std::string where = "dynamodb://" + o.table + (o.prefix.empty() ? "" : "/" + o.prefix);
  Result<AwsConfig> aws = LoadAwsConfig("dynamodb");
  if (!aws.ok()) return aws.status().WithContext("opening " + where);
  o.aws = std::move(aws).value();
  if (!endpoint.empty()) {
    o.aws.endpoint_url = endpoint;
    o.aws.endpoint_source = "the URI";
  }
  if (!region.empty()) {
    o.aws.region = region;
    o.aws.region_source = "the URI";
  }
  o.retry.max_attempts = o.aws.max_attempts;
  return OpenDynamoDbStoreWithOptions(std::move(o));
}

}  // namespace cloudlite
