#include "store/dynamodb/dynamodb_items.h"

#include <limits>
#include <map>
#include <utility>

#include "net/server_text.h"
#include "store/dynamodb/dynamodb_layout.h"

namespace cloudlite::ddb {

Result<HeadInfo> DecodeHead(const Json& item, std::string_view full, std::string_view name,
                            bool complete) {
  auto corrupt = [&](std::string_view why) {
    return Status::Corruption("DynamoDB item for " + std::string(name) + " " + std::string(why));
  };
  if (GetS(item, kAttrType) != "o") return corrupt("is not an object head");
  if (GetS(item, kAttrKey) != full) return corrupt("belongs to another key");
  std::optional<uint64_t> size = GetN(item, kAttrSize);
  if (!size) return corrupt("has no size");
  HeadInfo head;
  head.size = *size;
  if (std::optional<std::string> gen = GetS(item, kAttrGen)) {
    std::optional<uint64_t> cs = GetN(item, kAttrChunk);
    if (gen->empty() || !cs || *cs == 0 || *cs > kMaxChunkBytes) {
      return corrupt("has a bad chunk description");
    }
    // chunks() rounds up: a size within a chunk of 2^64 would wrap to a handful of chunks.
    if (head.size > std::numeric_limits<uint64_t>::max() - *cs)
      return corrupt("has an impossible size");
    head.gen = *gen;
    head.chunk_size = *cs;
    return head;
  }
  if (Member(item, kAttrData) != nullptr) {
    bool bad = false;
    std::optional<std::string> data = GetB(item, kAttrData, &bad);
    if (bad) return corrupt("has undecodable data");
    head.data = std::move(*data);
  }
  // An empty object has no data attribute at all; a projection may leave it out.
  if ((complete || Member(item, kAttrData) != nullptr) && head.data.size() != head.size) {
    return corrupt("holds " + std::to_string(head.data.size()) + " bytes, not its size " +
                   std::to_string(head.size));
  }
  return head;
}

Status CheckKeySchema(const Json& describe, std::string_view table) {
  const Json* t = Member(describe, "Table");
  std::map<std::string, std::string> roles, types;
  if (const Json* keys = t == nullptr ? nullptr : Member(*t, "KeySchema");
      keys != nullptr && keys->is_array()) {
    for (const Json& k : keys->get_array()) {
      if (k.is_object()) roles[StringMember(k, "AttributeName")] = StringMember(k, "KeyType");
    }
  }
  if (const Json* attrs = t == nullptr ? nullptr : Member(*t, "AttributeDefinitions");
      attrs != nullptr && attrs->is_array()) {
    for (const Json& a : attrs->get_array()) {
      if (a.is_object()) types[StringMember(a, "AttributeName")] = StringMember(a, "AttributeType");
    }
  }
  const std::string h(kHashKey), r(kRangeKey);
  if (roles.size() != 2 || roles[h] != "HASH" || roles[r] != "RANGE" || types[h] != "S" ||
      types[r] != "N") {
    return Status::InvalidArgument(
        "table " + std::string(table) +
        " does not have the key schema cloudlite (and DonutDB) use: hash_key (S, HASH) and "
        "range_key (N, RANGE); create one with: cloudlite dynamodb create-table NAME");
  }
  return Status::Ok();
}

std::string TableStatus(const Json& describe) {
  const Json* t = Member(describe, "Table");
  return t == nullptr ? "" : SafeServerText(StringMember(*t, "TableStatus"));
}

}  // namespace cloudlite::ddb
