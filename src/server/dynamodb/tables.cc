// The control plane and the dispatch of TableService (tables.h).
#include "server/dynamodb/tables.h"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "cloudlite/admin.h"
#include "dynamo/json.h"

namespace cloudlite::server::dynamodb {
namespace {

namespace json = boost::json;
using dynamo::Member;

ApiError Validation(std::string message) {
  return {"ValidationException", std::move(message), 400, {}};
}

ApiError NotFoundError(std::string message) {
  return {"ResourceNotFoundException", std::move(message), 400, {}};
}

// The constraint violations of a request ("Value 'x' at 'member' failed to satisfy constraint:
// ..."), reported together as DynamoDB's validator does.
class Violations {
 public:
  void Add(std::string_view value, std::string_view member, std::string_view constraint) {
    list_.push_back("Value " + std::string(value) + " at '" + std::string(member) +
                    "' failed to satisfy constraint: " + std::string(constraint));
  }
  bool any() const { return !list_.empty(); }
  ApiError Error() const {
    std::string m =
        std::to_string(list_.size()) +
        (list_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
    for (size_t i = 0; i < list_.size(); i++) m += (i ? "; " : "") + list_[i];
    return Validation(std::move(m));
  }

 private:
  std::vector<std::string> list_;
};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// A string member: nullopt when absent; a SerializationException when not a string.
Result<std::optional<std::string>> StringOf(const json::object& o, std::string_view name) {
  const json::value* v = Member(o, name);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return dynamo::WrongKind(*v, "String");
  return std::optional<std::string>(std::string(v->as_string()));
}

// DynamoDB's checks of a table name member (`member`: "tableName", "exclusiveStartTableName").
void CheckTableName(const std::optional<std::string>& name, std::string_view member, bool required,
                    Violations* v) {
  if (!name) {
    if (required) v->Add("null", member, "Member must not be null");
    return;
  }
  if (name->size() < 3) {
    v->Add(Quoted(*name), member, "Member must have length greater than or equal to 3");
  }
  if (name->size() > 255) {
    v->Add(Quoted(*name), member, "Member must have length less than or equal to 255");
  }
  if (!dynamo::TableNameCharsValid(*name)) {
    v->Add(Quoted(*name), member,
           "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
}

// The TableName of a request, checked.
Result<std::string> TableNameOf(const json::object& request) {
  CL_ASSIGN_OR_RETURN(std::optional<std::string> name, StringOf(request, "TableName"));
  Violations v;
  CheckTableName(name, "tableName", true, &v);
  if (v.any()) return Status::InvalidArgument(v.Error().message);
  return *name;
}

OperationResult ErrorOf(const Status& s) { return ErrorFromStatus(s); }

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomTableId() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(v));
  return hex;
}

// ProvisionedThroughput's two units, checked (`member`: "provisionedThroughput").
struct Throughput {
  int64_t read = 0, write = 0;
};
Result<std::optional<Throughput>> ThroughputOf(const json::object& request, Violations* v) {
  const json::value* pt = Member(request, "ProvisionedThroughput");
  if (!pt) return std::optional<Throughput>();
  if (!pt->is_object()) return dynamo::WrongKind(*pt, "Structure");
  Throughput t;
  for (auto [field, member, out] :
       {std::tuple{"ReadCapacityUnits", "provisionedThroughput.readCapacityUnits", &t.read},
        std::tuple{"WriteCapacityUnits", "provisionedThroughput.writeCapacityUnits", &t.write}}) {
    const json::value* u = Member(pt->as_object(), field);
    if (!u) {
      v->Add("null", member, "Member must not be null");
      continue;
    }
    if (!u->is_int64()) return dynamo::WrongKind(*u, "Long");
    *out = u->as_int64();
    if (*out < 1) {
      v->Add(Quoted(std::to_string(*out)), member,
             "Member must have value greater than or equal to 1");
    }
  }
  return std::optional<Throughput>(t);
}

Result<std::optional<std::string>> BillingModeOf(const json::object& request, Violations* v) {
  CL_ASSIGN_OR_RETURN(std::optional<std::string> mode, StringOf(request, "BillingMode"));
  if (mode && *mode != "PROVISIONED" && *mode != "PAY_PER_REQUEST") {
    v->Add(Quoted(*mode), "billingMode",
           "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
  }
  return mode;
}

// The billing settings of a description after a request's BillingMode and ProvisionedThroughput.
Status ApplyBilling(const std::optional<std::string>& mode, const std::optional<Throughput>& pt,
                    json::object* description) {
  std::string billing = mode.value_or("");
  if (billing.empty()) {
    const json::value* old = description->if_contains("BillingModeSummary");
    billing = old && old->is_object() && old->as_object().contains("BillingMode") &&
                      old->as_object().at("BillingMode").is_string()
                  ? std::string(old->as_object().at("BillingMode").as_string())
                  : "PROVISIONED";
  }
  if (billing == "PROVISIONED" && !pt && !description->contains("ProvisionedThroughput")) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must "
        "both be specified when BillingMode is PROVISIONED");
  }
  if (billing == "PAY_PER_REQUEST" && pt) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
  }
  (*description)["BillingModeSummary"] = {{"BillingMode", billing}};
  if (billing == "PAY_PER_REQUEST") {
    description->erase("ProvisionedThroughput");
  } else if (pt) {
    (*description)["ProvisionedThroughput"] = {{"ReadCapacityUnits", pt->read},
                                               {"WriteCapacityUnits", pt->write}};
  }
  return Status::Ok();
}

// Tags as sent ([{"Key", "Value"}]), checked.
Result<std::vector<std::pair<std::string, std::string>>> TagsOf(const json::value& tags) {
  if (!tags.is_array()) return dynamo::WrongKind(tags, "List");
  std::vector<std::pair<std::string, std::string>> out;
  for (const json::value& t : tags.as_array()) {
    if (!t.is_object()) return dynamo::WrongKind(t, "Structure");
    CL_ASSIGN_OR_RETURN(std::optional<std::string> key, StringOf(t.as_object(), "Key"));
    CL_ASSIGN_OR_RETURN(std::optional<std::string> value, StringOf(t.as_object(), "Value"));
    Violations v;
    if (!key) v.Add("null", "tags.member.key", "Member must not be null");
    if (!value) v.Add("null", "tags.member.value", "Member must not be null");
    if (key && (key->empty() || key->size() > 128)) {
      v.Add(Quoted(*key), "tags.member.key", "Member must have length between 1 and 128");
    }
    if (value && value->size() > 256) {
      v.Add(Quoted(*value), "tags.member.value",
            "Member must have length less than or equal to 256");
    }
    if (v.any()) return Status::InvalidArgument(v.Error().message);
    out.emplace_back(*key, *value);
  }
  return out;
}

// Merges `tags` into the description's Tags (a key given again takes the new value).
Status MergeTags(const std::vector<std::pair<std::string, std::string>>& tags,
                 json::object* description) {
  std::map<std::string, std::string> merged;
  if (const json::value* old = description->if_contains("Tags"); old && old->is_array()) {
    for (const json::value& t : old->as_array()) {
      const json::object& o = t.as_object();
      merged[std::string(o.at("Key").as_string())] = std::string(o.at("Value").as_string());
    }
  }
  for (const auto& [k, v] : tags) merged[k] = v;
  if (merged.size() > 50) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: Too many tags: a "
        "table may have at most 50");
  }
  json::array out;
  for (const auto& [k, v] : merged) out.push_back(json::object{{"Key", k}, {"Value", v}});
  (*description)["Tags"] = std::move(out);
  return Status::Ok();
}

// Fields of CreateTable and UpdateTable this server does not implement: refused, not ignored.
Status RefuseUnsupported(const json::object& request,
                         std::initializer_list<std::string_view> members) {
  for (std::string_view m : members) {
    const json::value* v = Member(request, m);
    if (!v) continue;
    if (v->is_array() && v->as_array().empty()) continue;
    if (m == "StreamSpecification" && v->is_object()) {
      const json::value* enabled = v->as_object().if_contains("StreamEnabled");
      if (!enabled || !enabled->is_bool() || !enabled->as_bool()) continue;
    }
    return Status::InvalidArgument(std::string(m) + " is not supported by this server");
  }
  return Status::Ok();
}

struct KeySchemaInput {
  json::array key_schema;
  json::array definitions;
};

// CreateTable's KeySchema and AttributeDefinitions, checked as DynamoDB checks them; constraint
// violations join the request's others in `v`.
Result<KeySchemaInput> KeySchemaOf(const json::object& request, Violations& v) {
  const json::value* keys = Member(request, "KeySchema");
  const json::value* defs = Member(request, "AttributeDefinitions");
  if (keys && !keys->is_array()) return dynamo::WrongKind(*keys, "List");
  if (defs && !defs->is_array()) return dynamo::WrongKind(*defs, "List");
  if (!keys) v.Add("null", "keySchema", "Member must not be null");
  if (!defs) v.Add("null", "attributeDefinitions", "Member must not be null");
  KeySchemaInput in;
  std::vector<std::pair<std::string, std::string>> key_list;  // name, type
  std::vector<std::pair<std::string, std::string>> def_list;
  if (keys) {
    size_t n = keys->as_array().size();
    if (n < 1) v.Add("'[]'", "keySchema", "Member must have length greater than or equal to 1");
    if (n > 2) v.Add("'[...]'", "keySchema", "Member must have length less than or equal to 2");
    size_t i = 0;
    for (const json::value& k : keys->as_array()) {
      i++;
      if (!k.is_object()) return dynamo::WrongKind(k, "Structure");
      CL_ASSIGN_OR_RETURN(auto name, StringOf(k.as_object(), "AttributeName"));
      CL_ASSIGN_OR_RETURN(auto type, StringOf(k.as_object(), "KeyType"));
      std::string at = "keySchema." + std::to_string(i) + ".member.";
      if (!name) v.Add("null", at + "attributeName", "Member must not be null");
      if (name && (name->empty() || name->size() > 255)) {
        v.Add(Quoted(*name), at + "attributeName", "Member must have length between 1 and 255");
      }
      if (!type) v.Add("null", at + "keyType", "Member must not be null");
      if (type && *type != "HASH" && *type != "RANGE") {
        v.Add(Quoted(*type), at + "keyType", "Member must satisfy enum value set: [HASH, RANGE]");
      }
      key_list.emplace_back(name.value_or(""), type.value_or(""));
    }
  }
  if (defs) {
    size_t i = 0;
    for (const json::value& d : defs->as_array()) {
      i++;
      if (!d.is_object()) return dynamo::WrongKind(d, "Structure");
      CL_ASSIGN_OR_RETURN(auto name, StringOf(d.as_object(), "AttributeName"));
      CL_ASSIGN_OR_RETURN(auto type, StringOf(d.as_object(), "AttributeType"));
      std::string at = "attributeDefinitions." + std::to_string(i) + ".member.";
      if (!name) v.Add("null", at + "attributeName", "Member must not be null");
      if (name && (name->empty() || name->size() > 255)) {
        v.Add(Quoted(*name), at + "attributeName", "Member must have length between 1 and 255");
      }
      if (!type) v.Add("null", at + "attributeType", "Member must not be null");
      if (type && *type != "S" && *type != "N" && *type != "B") {
        v.Add(Quoted(*type), at + "attributeType", "Member must satisfy enum value set: [B, N, S]");
      }
      def_list.emplace_back(name.value_or(""), type.value_or(""));
    }
  }
  if (v.any()) return Status::InvalidArgument(v.Error().message);

  std::set<std::string> def_names;
  for (const auto& [name, type] : def_list) {
    if (!def_names.insert(name).second) {
      return Status::InvalidArgument("Cannot have two attributes with the same name: " + name);
    }
  }
  if (key_list[0].second != "HASH") {
    return Status::InvalidArgument(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (key_list.size() == 2) {
    if (key_list[1].second != "RANGE") {
      return Status::InvalidArgument(
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    }
    if (key_list[0].first == key_list[1].first) {
      return Status::InvalidArgument(
          "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    }
  }
  std::string missing, key_names, def_names_text;
  for (const auto& [name, type] : key_list) {
    key_names += (key_names.empty() ? "" : ", ") + name;
    if (!def_names.count(name)) missing += (missing.empty() ? "" : ", ") + name;
  }
  for (const auto& [name, type] : def_list)
    def_names_text += (def_names_text.empty() ? "" : ", ") + name;
  if (!missing.empty()) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [" +
        key_names + "], AttributeDefinitions: [" + def_names_text + "]");
  }
  if (def_list.size() != key_list.size()) {
    return Status::InvalidArgument(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
  }
  for (const auto& [name, type] : key_list) {
    in.key_schema.push_back(json::object{{"AttributeName", name}, {"KeyType", type}});
  }
  for (const auto& [name, type] : def_list) {
    in.definitions.push_back(json::object{{"AttributeName", name}, {"AttributeType", type}});
  }
  return in;
}

// The table name of a table ARN of this server ("arn:aws:dynamodb:<region>:<account>:table/<n>").
Result<std::string> TableOfArn(const json::object& request) {
  CL_ASSIGN_OR_RETURN(std::optional<std::string> arn, StringOf(request, "ResourceArn"));
  if (!arn) {
    return Status::InvalidArgument(
        "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: "
        "Member must not be null");
  }
  const std::string prefix = "arn:aws:dynamodb:";
  size_t table = arn->find(":table/");
  if (arn->rfind(prefix, 0) != 0 || table == std::string::npos) {
    return Status::InvalidArgument("Invalid TableArn: Invalid ResourceArn provided as input " +
                                   *arn);
  }
  return arn->substr(table + 7);
}

}  // namespace

TableService::TableService(TableServiceOptions options, std::unique_ptr<Catalog> catalog)
    : options_(std::move(options)), catalog_(std::move(catalog)) {
  PartitionOptions p;
  p.store = options_.store;
  p.options = options_.options;
  p.max_group = options_.max_group;
  p.eventual_staleness = options_.eventual_staleness;
  p.max_open = options_.max_open_partitions;
  p.metrics = WriteMetrics::In(options_.metrics);
  p.before_group = options_.before_group;
  partitions_ = std::make_unique<Partitions>(std::move(p));
}

Result<std::unique_ptr<TableService>> TableService::Open(const TableServiceOptions& options) {
  if (options.partitions < 1 || options.partitions > 256) {
    return Status::InvalidArgument("partitions must be 1 .. 256, not " +
                                   std::to_string(options.partitions));
  }
  if (options.store.empty()) return Status::InvalidArgument("no store URI");
  CL_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                      Catalog::Open(options.store, options.options));
  std::unique_ptr<TableService> service(new TableService(options, std::move(catalog)));
  CL_RETURN_IF_ERROR(service->FinishDeletions(Deadline()));
  return service;
}

OperationResult TableService::Run(std::string_view operation, const json::object& request,
                                  const CallContext& context) {
  using Op = OperationResult (TableService::*)(const json::object&, const Deadline&);
  static const std::map<std::string_view, Op> kOperations = {
      {"CreateTable", &TableService::CreateTable},
      {"DescribeTable", &TableService::DescribeTable},
      {"ListTables", &TableService::ListTables},
      {"DeleteTable", &TableService::DeleteTable},
      {"UpdateTable", &TableService::UpdateTable},
      {"DescribeLimits", &TableService::DescribeLimits},
      {"DescribeEndpoints", &TableService::DescribeEndpoints},
      {"TagResource", &TableService::TagResource},
      {"UntagResource", &TableService::UntagResource},
      {"ListTagsOfResource", &TableService::ListTagsOfResource},
      {"PutItem", &TableService::PutItem},
      {"GetItem", &TableService::GetItem},
      {"UpdateItem", &TableService::UpdateItem},
      {"DeleteItem", &TableService::DeleteItem},
      {"Query", &TableService::Query},
      {"Scan", &TableService::Scan},
      {"BatchGetItem", &TableService::BatchGetItem},
      {"BatchWriteItem", &TableService::BatchWriteItem},
      {"TransactWriteItems", &TableService::TransactWriteItems},
      {"TransactGetItems", &TableService::TransactGetItems},
  };
  auto it = kOperations.find(operation);
  if (it == kOperations.end()) {
    return ApiError{"UnknownOperationException", "", 400, {}};
  }
  const Deadline deadline(context.deadline, &options_.now);
  // Too late to answer in time: nothing is run.
  if (deadline.Passed()) return ErrorFromStatus(NotRunInTime());
  try {
    return (this->*(it->second))(request, deadline);
  } catch (const std::exception& e) {
    // A bug (a JSON accessor that threw): answered, never propagated across the boundary.
    return ApiError{"InternalServerError", std::string("internal error: ") + e.what(), 500, {}};
  }
}

std::string TableService::ArnOf(std::string_view table) const {
  return "arn:aws:dynamodb:" + options_.region + ":000000000000:table/" + std::string(table);
}

Result<TableEntry> TableService::TableOf(const json::object& request) {
  CL_ASSIGN_OR_RETURN(std::string name, TableNameOf(request));
  Result<TableEntry> entry = catalog_->Get(name);
  if (!entry.ok() && entry.status().IsNotFound()) {
    return Status::NotFound("Requested resource not found");
  }
  return entry;
}

Partitions::CreateCheck TableService::CreateCheckFor(const TableEntry& entry) {
  return [this, name = entry.name, id = entry.id]() -> Status {
    Result<TableEntry> now = catalog_->ReadLatest(name);
    if (!now.ok() && !now.status().IsNotFound()) return now.status();
    if (!now.ok() || now->id != id || now->status != "ACTIVE") {
      return Status::NotFound("Requested resource not found");
    }
    return Status::Ok();
  };
}

Result<json::object> TableService::Describe(const TableEntry& entry, bool with_counts,
                                            const Deadline& deadline) {
  int64_t items = 0, bytes = 0;
  if (with_counts) {
    for (int p = 0; p < entry.partitions; p++) {
      Status s = partitions_->Read(
          PartitionName(entry.id, p), false, deadline, [&](Connection* c) -> Status {
            if (!c) return Status::Ok();
            CL_ASSIGN_OR_RETURN(Rows rows,
                                c->Query("SELECT count(*), coalesce(sum(size), 0) FROM items"));
            items += std::get<int64_t>(rows.rows.at(0).at(0));
            bytes += std::get<int64_t>(rows.rows.at(0).at(1));
            return Status::Ok();
          });
      if (!s.ok() && !s.IsNotFound()) return s;
    }
  }
  const json::object& d = entry.description;
  json::object t;
  t["TableName"] = entry.name;
  t["TableStatus"] = entry.status;
  t["TableArn"] = ArnOf(entry.name);
  t["TableId"] = entry.id;
  t["CreationDateTime"] = static_cast<double>(entry.created_micros) / 1e6;
  t["KeySchema"] = d.contains("KeySchema") ? d.at("KeySchema") : json::array();
  t["AttributeDefinitions"] =
      d.contains("AttributeDefinitions") ? d.at("AttributeDefinitions") : json::array();
  t["ItemCount"] = items;
  t["TableSizeBytes"] = bytes;
  json::object pt{
      {"NumberOfDecreasesToday", 0}, {"ReadCapacityUnits", 0}, {"WriteCapacityUnits", 0}};
  if (const json::value* p = d.if_contains("ProvisionedThroughput"); p && p->is_object()) {
    for (const auto& [k, v] : p->as_object()) pt[k] = v;
  }
  t["ProvisionedThroughput"] = std::move(pt);
  // A provisioned table has no BillingModeSummary, as DynamoDB Local answers (found by the
  // differential test).
  if (const json::value* b = d.if_contains("BillingModeSummary");
      b && b->is_object() && b->as_object().if_contains("BillingMode") &&
      b->as_object().at("BillingMode") != "PROVISIONED") {
    json::object summary = b->as_object();
    if (summary.contains("BillingMode") && summary.at("BillingMode") == "PAY_PER_REQUEST") {
      summary["LastUpdateToPayPerRequestDateTime"] = t["CreationDateTime"];
    }
    t["BillingModeSummary"] = std::move(summary);
  }
  if (const json::value* c = d.if_contains("TableClass"); c && c->is_string()) {
    t["TableClassSummary"] = {{"TableClass", *c}};
  }
  t["DeletionProtectionEnabled"] = false;
  return t;
}

// ---- control plane ----------------------------------------------------------------------------

OperationResult TableService::CreateTable(const json::object& request, const Deadline& deadline) {
  Result<std::optional<std::string>> name = StringOf(request, "TableName");
  if (!name.ok()) return ErrorOf(name.status());
  Violations v;
  CheckTableName(*name, "tableName", true, &v);
  Result<std::optional<std::string>> mode = BillingModeOf(request, &v);
  if (!mode.ok()) return ErrorOf(mode.status());
  Result<std::optional<Throughput>> pt = ThroughputOf(request, &v);
  if (!pt.ok()) return ErrorOf(pt.status());
  Result<std::optional<std::string>> table_class = StringOf(request, "TableClass");
  if (!table_class.ok()) return ErrorOf(table_class.status());
  if (*table_class && **table_class != "STANDARD" &&
      **table_class != "STANDARD_INFREQUENT_ACCESS") {
    v.Add(Quoted(**table_class), "tableClass",
          "Member must satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]");
  }
  Result<KeySchemaInput> keys = KeySchemaOf(request, v);
  if (v.any()) return v.Error();
  if (!keys.ok()) return ErrorOf(keys.status());
  Status unsupported = RefuseUnsupported(
      request, {"GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"});
  if (!unsupported.ok()) return ErrorOf(unsupported);

  TableEntry entry;
  entry.name = **name;
  entry.id = RandomTableId();
  entry.partitions = options_.partitions;
  entry.status = "ACTIVE";
  entry.created_micros = NowMicros();
  entry.description["KeySchema"] = keys->key_schema;
  entry.description["AttributeDefinitions"] = keys->definitions;
  Status s = ApplyBilling(*mode, *pt, &entry.description);
  if (!s.ok()) return ErrorOf(s);
  if (*table_class) entry.description["TableClass"] = **table_class;
  if (const json::value* tags = Member(request, "Tags")) {
    Result<std::vector<std::pair<std::string, std::string>>> list = TagsOf(*tags);
    if (!list.ok()) return ErrorOf(list.status());
    s = MergeTags(*list, &entry.description);
    if (!s.ok()) return ErrorOf(s);
  }
  Result<dynamo::KeySchema> schema = SchemaOfDescription(entry.description);
  if (!schema.ok()) return ErrorOf(schema.status());
  entry.schema = *schema;

  // A deletion of this name that a crash interrupted is finished first.
  Result<TableEntry> old = catalog_->ReadLatest(entry.name);
  if (old.ok() && old->status == "DELETING") {
    s = FinishDeletion(*old, deadline);
    if (!s.ok()) return ErrorOf(s);
  } else if (old.ok()) {
    return ApiError{"ResourceInUseException", "Table already exists: " + entry.name, 400, {}};
  } else if (!old.status().IsNotFound()) {
    return ErrorOf(old.status());
  }
  s = catalog_->Create(entry);
  if (s.IsAlreadyExists()) {
    return ApiError{"ResourceInUseException", "Table already exists: " + entry.name, 400, {}};
  }
  if (!s.ok()) return ErrorOf(s);
  Result<json::object> description = Describe(entry, false, Deadline());
  if (!description.ok()) return ErrorOf(description.status());
  return json::object{{"TableDescription", std::move(*description)}};
}

OperationResult TableService::DescribeTable(const json::object& request, const Deadline& deadline) {
  Result<std::string> name = TableNameOf(request);
  if (!name.ok()) return ErrorOf(name.status());
  Result<TableEntry> entry = catalog_->ReadLatest(*name);
  if (!entry.ok()) return ErrorOf(entry.status());
  Result<json::object> description = Describe(*entry, entry->status == "ACTIVE", deadline);
  if (!description.ok()) return ErrorOf(description.status());
  return json::object{{"Table", std::move(*description)}};
}

OperationResult TableService::ListTables(const json::object& request, const Deadline& deadline) {
  Result<std::optional<std::string>> start = StringOf(request, "ExclusiveStartTableName");
  if (!start.ok()) return ErrorOf(start.status());
  Violations v;
  CheckTableName(*start, "exclusiveStartTableName", false, &v);
  int64_t limit = 100;
  if (const json::value* l = Member(request, "Limit")) {
    if (!l->is_int64()) return ErrorOf(dynamo::WrongKind(*l, "Integer"));
    limit = l->as_int64();
    if (limit < 1) {
      v.Add(Quoted(std::to_string(limit)), "limit",
            "Member must have value greater than or equal to 1");
    }
    if (limit > 100) {
      v.Add(Quoted(std::to_string(limit)), "limit",
            "Member must have value less than or equal to 100");
    }
  }
  if (v.any()) return v.Error();
  Status s = FinishDeletions(deadline);
  if (!s.ok()) return ErrorOf(s);
  bool more = false;
  Result<std::vector<TableEntry>> entries =
      catalog_->List(start->value_or(""), static_cast<size_t>(limit), &more);
  if (!entries.ok()) return ErrorOf(entries.status());
  json::array names;
  for (const TableEntry& e : *entries) names.push_back(json::string(e.name));
  json::object out{{"TableNames", std::move(names)}};
  if (more && !entries->empty()) out["LastEvaluatedTableName"] = entries->back().name;
  return out;
}

Status TableService::FinishDeletion(const TableEntry& entry, const Deadline& deadline) {
  for (int p = 0; p < entry.partitions; p++) {
    if (deadline.Passed()) return NotRunInTime();  // what is removed stays removed: resumable
    const std::string name = PartitionName(entry.id, p);
    Status s = RemoveDatabase(DatabaseUri(options_.store, name));
    if (!s.ok() && !s.IsNotFound()) return s;
    partitions_->Close(name);
  }
  return catalog_->Drop(entry.name, entry.id);
}

Status TableService::FinishDeletions(const Deadline& deadline) {
  CL_ASSIGN_OR_RETURN(std::vector<TableEntry> deleting, catalog_->ListDeleting());
  for (const TableEntry& e : deleting) CL_RETURN_IF_ERROR(FinishDeletion(e, deadline));
  return Status::Ok();
}

OperationResult TableService::DeleteTable(const json::object& request, const Deadline& deadline) {
  Result<std::string> name = TableNameOf(request);
  if (!name.ok()) return ErrorOf(name.status());
  Result<TableEntry> entry = catalog_->MarkDeleting(*name);
  if (!entry.ok()) return ErrorOf(entry.status());
  Result<json::object> description = Describe(*entry, false, Deadline());
  if (!description.ok()) return ErrorOf(description.status());
  Status s = FinishDeletion(*entry, deadline);
  // Past the deadline the table stays DELETING, as DynamoDB's do for a while: the next
  // ListTables or CreateTable of the name (or the next process) finishes it.
  if (!s.ok() && !IsNotRunInTime(s)) return ErrorOf(s);
  return json::object{{"TableDescription", std::move(*description)}};
}

OperationResult TableService::UpdateTable(const json::object& request,
                                          const Deadline& /*deadline*/) {
  Result<std::string> name = TableNameOf(request);
  if (!name.ok()) return ErrorOf(name.status());
  Violations v;
  Result<std::optional<std::string>> mode = BillingModeOf(request, &v);
  if (!mode.ok()) return ErrorOf(mode.status());
  Result<std::optional<Throughput>> pt = ThroughputOf(request, &v);
  if (!pt.ok()) return ErrorOf(pt.status());
  Result<std::optional<std::string>> table_class = StringOf(request, "TableClass");
  if (!table_class.ok()) return ErrorOf(table_class.status());
  if (*table_class && **table_class != "STANDARD" &&
      **table_class != "STANDARD_INFREQUENT_ACCESS") {
    v.Add(Quoted(**table_class), "tableClass",
          "Member must satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]");
  }
  if (v.any()) return v.Error();
  Status unsupported = RefuseUnsupported(
      request, {"GlobalSecondaryIndexUpdates", "ReplicaUpdates", "StreamSpecification"});
  if (!unsupported.ok()) return ErrorOf(unsupported);
  if (!*mode && !*pt && !*table_class && !Member(request, "SSESpecification") &&
      !Member(request, "StreamSpecification")) {
    return Validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  }
  Result<TableEntry> entry =
      catalog_->UpdateDescription(*name, [&](json::object& description) -> Status {
        CL_RETURN_IF_ERROR(ApplyBilling(*mode, *pt, &description));
        if (*table_class) description["TableClass"] = **table_class;
        return Status::Ok();
      });
  if (!entry.ok()) return ErrorOf(entry.status());
  Result<json::object> description = Describe(*entry, false, Deadline());
  if (!description.ok()) return ErrorOf(description.status());
  return json::object{{"TableDescription", std::move(*description)}};
}

OperationResult TableService::DescribeLimits(const json::object& /*request*/,
                                             const Deadline& /*deadline*/) {
  // DynamoDB's default account quotas; this server enforces none of them.
  return json::object{{"AccountMaxReadCapacityUnits", 80000},
                      {"AccountMaxWriteCapacityUnits", 80000},
                      {"TableMaxReadCapacityUnits", 40000},
                      {"TableMaxWriteCapacityUnits", 40000}};
}

OperationResult TableService::DescribeEndpoints(const json::object& /*request*/,
                                                const Deadline& /*deadline*/) {
  std::string address = options_.endpoint_address.empty()
                            ? "dynamodb." + options_.region + ".amazonaws.com"
                            : options_.endpoint_address;
  return json::object{{"Endpoints", json::array{json::object{{"Address", address},
                                                             {"CachePeriodInMinutes", 1440}}}}};
}

OperationResult TableService::TagResource(const json::object& request,
                                          const Deadline& /*deadline*/) {
  Result<std::string> table = TableOfArn(request);
  if (!table.ok()) return ErrorOf(table.status());
  const json::value* tags = Member(request, "Tags");
  if (!tags) {
    return Validation(
        "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member "
        "must not be null");
  }
  Result<std::vector<std::pair<std::string, std::string>>> list = TagsOf(*tags);
  if (!list.ok()) return ErrorOf(list.status());
  return ChangeTags(*table,
                    [&](json::object& description) { return MergeTags(*list, &description); });
}

OperationResult TableService::UntagResource(const json::object& request,
                                            const Deadline& /*deadline*/) {
  Result<std::string> table = TableOfArn(request);
  if (!table.ok()) return ErrorOf(table.status());
  const json::value* keys = Member(request, "TagKeys");
  if (!keys) {
    return Validation(
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
        "Member must not be null");
  }
  if (!keys->is_array()) return ErrorOf(dynamo::WrongKind(*keys, "List"));
  std::set<std::string> doomed;
  for (const json::value& k : keys->as_array()) {
    if (!k.is_string()) return ErrorOf(dynamo::WrongKind(k, "String"));
    doomed.insert(std::string(k.as_string()));
  }
  return ChangeTags(*table, [&](json::object& description) -> Status {
    json::array kept;
    if (const json::value* old = description.if_contains("Tags"); old && old->is_array()) {
      for (const json::value& t : old->as_array()) {
        if (!doomed.count(std::string(t.as_object().at("Key").as_string()))) kept.push_back(t);
      }
    }
    description["Tags"] = std::move(kept);
    return Status::Ok();
  });
}

OperationResult TableService::ChangeTags(const std::string& table,
                                         const std::function<Status(json::object&)>& change) {
  Result<TableEntry> entry = catalog_->UpdateDescription(table, change);
  if (entry.status().IsNotFound()) return ResourceArnNotFound(table);
  if (!entry.ok()) return ErrorOf(entry.status());
  return json::object{};
}

ApiError TableService::ResourceArnNotFound(std::string_view table) const {
  return NotFoundError("Requested resource not found: ResourceArn: " + ArnOf(table) + " not found");
}

OperationResult TableService::ListTagsOfResource(const json::object& request,
                                                 const Deadline& /*deadline*/) {
  Result<std::string> table = TableOfArn(request);
  if (!table.ok()) return ErrorOf(table.status());
  Result<TableEntry> entry = catalog_->ReadLatest(*table);
  if (!entry.ok() || entry->status != "ACTIVE") {
    if (!entry.ok() && !entry.status().IsNotFound()) return ErrorOf(entry.status());
    return ResourceArnNotFound(*table);
  }
  json::array tags;
  if (const json::value* t = entry->description.if_contains("Tags"); t && t->is_array()) {
    tags = t->as_array();
  }
  return json::object{{"Tags", std::move(tags)}};
}

}  // namespace cloudlite::server::dynamodb
