#include "server/dynamodb/catalog.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

namespace cloudlite::server::dynamodb {
namespace {

namespace json = boost::json;

constexpr const char* kColumns = "name, id, partitions, status, created, description";

Migration CatalogSchema() {
  return {1, "dynamodb catalog", [](Connection& c) {
            return c.Exec(
                "CREATE TABLE tables ("
                "  name TEXT PRIMARY KEY,"
                "  id TEXT NOT NULL UNIQUE,"
                "  partitions INTEGER NOT NULL,"
                "  status TEXT NOT NULL,"
                "  created INTEGER NOT NULL,"
                "  description BLOB NOT NULL"
                ") WITHOUT ROWID");
          }};
}

const std::string* TextOf(const cloudlite::Value& v) { return std::get_if<std::string>(&v); }

Result<TableEntry> EntryOfRow(const std::vector<cloudlite::Value>& row) {
  TableEntry e;
  const std::string* name = TextOf(row[0]);
  const std::string* id = TextOf(row[1]);
  const int64_t* partitions = std::get_if<int64_t>(&row[2]);
  const std::string* status = TextOf(row[3]);
  const int64_t* created = std::get_if<int64_t>(&row[4]);
  const Blob* description = std::get_if<Blob>(&row[5]);
  if (!name || !id || !partitions || *partitions < 1 || *partitions > 256 || !status || !created ||
      !description) {
    return Status::Corruption("the DynamoDB catalog has a malformed row");
  }
  e.name = *name;
  e.id = *id;
  e.partitions = static_cast<int>(*partitions);
  e.status = *status;
  e.created_micros = *created;
  boost::system::error_code ec;
  json::value parsed = json::parse(description->bytes, ec);
  if (ec || !parsed.is_object()) {
    return Status::Corruption("the DynamoDB catalog's description of table " + e.name +
                              " is not a JSON object");
  }
  e.description = std::move(parsed).as_object();
  CL_ASSIGN_OR_RETURN(e.schema, SchemaOfDescription(e.description));
  return e;
}

Result<std::vector<TableEntry>> EntriesOf(const Rows& rows) {
  std::vector<TableEntry> out;
  for (const auto& row : rows.rows) {
    CL_ASSIGN_OR_RETURN(TableEntry e, EntryOfRow(row));
    out.push_back(std::move(e));
  }
  return out;
}

bool TypeOfName(std::string_view name, dynamo::Type* type) {
  if (name == "S")
    *type = dynamo::Type::kS;
  else if (name == "N")
    *type = dynamo::Type::kN;
  else if (name == "B")
    *type = dynamo::Type::kB;
  else
    return false;
  return true;
}

// The row of table `name`, read on `c` (inside the caller's transaction); nullopt when none.
Result<std::optional<TableEntry>> RowOf(Connection& c, std::string_view name) {
  CL_ASSIGN_OR_RETURN(Rows rows,
                      c.Query(std::string("SELECT ") + kColumns + " FROM tables WHERE name = ?1",
                              {std::string(name)}));
  CL_ASSIGN_OR_RETURN(std::vector<TableEntry> entries, EntriesOf(rows));
  if (entries.empty()) return std::optional<TableEntry>();
  return std::optional<TableEntry>(std::move(entries.front()));
}

}  // namespace

Result<dynamo::KeySchema> SchemaOfDescription(const json::object& description) {
  auto bad = [] { return Status::Corruption("the DynamoDB catalog holds a malformed key schema"); };
  const json::value* keys = description.if_contains("KeySchema");
  const json::value* defs = description.if_contains("AttributeDefinitions");
  if (!keys || !keys->is_array() || !defs || !defs->is_array()) return bad();
  auto type_of = [&](const std::string& attr, dynamo::Type* type) {
    for (const json::value& d : defs->as_array()) {
      const json::object* o = d.if_object();
      if (!o) return false;
      const json::value* n = o->if_contains("AttributeName");
      const json::value* t = o->if_contains("AttributeType");
      if (n && n->is_string() && n->as_string() == attr && t && t->is_string()) {
        return TypeOfName(t->as_string(), type);
      }
    }
    return false;
  };
  dynamo::KeySchema schema;
  bool have_hash = false;
  for (const json::value& k : keys->as_array()) {
    const json::object* o = k.if_object();
    if (!o) return bad();
    const json::value* n = o->if_contains("AttributeName");
    const json::value* t = o->if_contains("KeyType");
    if (!n || !n->is_string() || !t || !t->is_string()) return bad();
    std::string attr(n->as_string());
    if (t->as_string() == "HASH") {
      schema.hash_name = attr;
      if (!type_of(attr, &schema.hash_type)) return bad();
      have_hash = true;
    } else if (t->as_string() == "RANGE") {
      schema.range_name = attr;
      if (!type_of(attr, &schema.range_type)) return bad();
    } else {
      return bad();
    }
  }
  if (!have_hash) return bad();
  return schema;
}

std::string DatabaseUri(std::string_view store, std::string_view name) {
  size_t query = store.find('?');
  std::string path(store.substr(0, query));
  while (!path.empty() && path.back() == '/') path.pop_back();
  path += "/";
  path += name;
  if (query != std::string_view::npos) path += store.substr(query);
  return path;
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& store, const Options& options) {
  Options o = options;
  o.create_if_missing = true;
  o.max_staleness = std::chrono::milliseconds(0);  // catalog reads here are at the latest
  o.migrations = {CatalogSchema()};
  CL_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                      Database::Open(DatabaseUri(store, kCatalogName), std::move(o)));
  return std::unique_ptr<Catalog>(new Catalog(std::move(db)));
}

Status Catalog::Create(const TableEntry& entry) {
  std::lock_guard lock(db_mu_);
  std::string description = json::serialize(entry.description);
  Status s = db_->Update([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query("SELECT 1 FROM tables WHERE name = ?1", {entry.name}));
    if (!rows.rows.empty()) return Status::AlreadyExists("Table already exists: " + entry.name);
    return c
        .Query(
            "INSERT INTO tables (name, id, partitions, status, created, description) "
            "VALUES (?1, ?2, ?3, 'ACTIVE', ?4, ?5)",
            {entry.name, entry.id, int64_t{entry.partitions}, entry.created_micros,
             Blob{description}})
        .status();
  });
  if (s.ok()) {
    TableEntry e = entry;
    e.status = "ACTIVE";
    Remember(e);
  }
  return s;
}

Result<TableEntry> Catalog::ReadLatest(std::string_view name) {
  std::optional<TableEntry> found;
  {
    std::lock_guard lock(db_mu_);
    Status s = db_->View([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(found, RowOf(c, name));
      return Status::Ok();
    });
    CL_RETURN_IF_ERROR(s);
  }
  if (!found) {
    Forget(name);
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  Remember(*found);
  return std::move(*found);
}

Result<TableEntry> Catalog::Get(std::string_view name) {
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(name);
    if (it != cache_.end() && it->second.status == "ACTIVE") return it->second;
  }
  CL_ASSIGN_OR_RETURN(TableEntry e, ReadLatest(name));
  if (e.status != "ACTIVE") return Status::NotFound("Requested resource not found");
  return e;
}

void Catalog::Forget(std::string_view name) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(name);
  if (it != cache_.end()) cache_.erase(it);
}

void Catalog::Remember(const TableEntry& entry) {
  std::lock_guard lock(cache_mu_);
  cache_[entry.name] = entry;
}

Result<std::vector<TableEntry>> Catalog::List(std::string_view exclusive_start, size_t limit,
                                              bool* more) {
  std::vector<TableEntry> out;
  std::lock_guard lock(db_mu_);
  CL_RETURN_IF_ERROR(db_->View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows,
                        c.Query(std::string("SELECT ") + kColumns +
                                    " FROM tables WHERE name > ?1 ORDER BY name LIMIT ?2",
                                {std::string(exclusive_start), static_cast<int64_t>(limit + 1)}));
    CL_ASSIGN_OR_RETURN(out, EntriesOf(rows));
    return Status::Ok();
  }));
  *more = out.size() > limit;
  if (*more) out.resize(limit);
  return out;
}

Result<std::vector<TableEntry>> Catalog::ListDeleting() {
  std::vector<TableEntry> out;
  std::lock_guard lock(db_mu_);
  CL_RETURN_IF_ERROR(db_->View([&](Connection& c) -> Status {
    CL_ASSIGN_OR_RETURN(Rows rows, c.Query(std::string("SELECT ") + kColumns +
                                           " FROM tables WHERE status = 'DELETING' ORDER BY name"));
    CL_ASSIGN_OR_RETURN(out, EntriesOf(rows));
    return Status::Ok();
  }));
  return out;
}

Result<TableEntry> Catalog::MarkDeleting(std::string_view name) {
  std::optional<TableEntry> found;
  {
    std::lock_guard lock(db_mu_);
    CL_RETURN_IF_ERROR(db_->Update([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(found, RowOf(c, name));
      if (!found) return Status::Ok();
      found->status = "DELETING";
      return c.Query("UPDATE tables SET status = 'DELETING' WHERE name = ?1", {std::string(name)})
          .status();
    }));
  }
  Forget(name);
  if (!found) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  return std::move(*found);
}

Status Catalog::Drop(std::string_view name, std::string_view id) {
  Forget(name);
  std::lock_guard lock(db_mu_);
  return db_->Update([&](Connection& c) {
    return c
        .Query("DELETE FROM tables WHERE name = ?1 AND id = ?2",
               {std::string(name), std::string(id)})
        .status();
  });
}

Result<TableEntry> Catalog::UpdateDescription(std::string_view name,
                                              const std::function<Status(json::object&)>& change) {
  std::optional<TableEntry> found;
  {
    std::lock_guard lock(db_mu_);
    CL_RETURN_IF_ERROR(db_->Update([&](Connection& c) -> Status {
      CL_ASSIGN_OR_RETURN(found, RowOf(c, name));
      if (!found || found->status != "ACTIVE") {
        found.reset();
        return Status::Ok();
      }
      CL_RETURN_IF_ERROR(change(found->description));
      return c
          .Query("UPDATE tables SET description = ?2 WHERE name = ?1",
                 {std::string(name), Blob{json::serialize(found->description)}})
          .status();
    }));
  }
  if (!found) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  Remember(*found);
  return std::move(*found);
}

}  // namespace cloudlite::server::dynamodb
