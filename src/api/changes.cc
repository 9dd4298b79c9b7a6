// The change feed (cloudlite/changes.h): the CHANGESET sections of a database's log records,
// read oldest first and turned into one RowChange per row (docs/format.md, "CHANGESET
// section"). The records are checked as a reader checks them: the incarnation, the chain of
// nonces, no hole.
#include "cloudlite/changes.h"

#include <sqlite3.h>

#include <algorithm>
#include <deque>
#include <utility>

#include "engine/engine.h"
#include "format/format.h"
#include "store/registry.h"
#include "store/uri.h"

namespace cloudlite {
namespace {

Value FromSqlite(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_value_double(v);
    case SQLITE_TEXT:
      return std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                         static_cast<size_t>(sqlite3_value_bytes(v)));
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const char*>(sqlite3_value_blob(v));
      return Blob{std::string(bytes ? bytes : "", static_cast<size_t>(sqlite3_value_bytes(v)))};
    }
    default:
      return nullptr;
  }
}

// Appends one RowChange per row of `changeset`; Corruption naming `key` if SQLite refuses it.
Status AppendRows(const format::Record& rec, const std::string& changeset, const std::string& key,
                  std::deque<RowChange>* out) {
  if (changeset.empty()) return Status::Ok();
  sqlite3_changeset_iter* iter = nullptr;
  int rc = sqlite3changeset_start(&iter, static_cast<int>(changeset.size()),
                                  const_cast<char*>(changeset.data()));
  if (rc != SQLITE_OK) return Status::Corruption(key + ": its changeset is malformed");
  while ((rc = sqlite3changeset_next(iter)) == SQLITE_ROW) {
    const char* table = nullptr;
    int columns = 0;
    int op = 0;
    int indirect = 0;
    unsigned char* pk = nullptr;
    if (sqlite3changeset_op(iter, &table, &columns, &op, &indirect) != SQLITE_OK ||
        sqlite3changeset_pk(iter, &pk, nullptr) != SQLITE_OK) {
      break;
    }
    RowChange change;
    change.version = rec.version;
    change.time_micros = rec.time_micros;
    change.table = table;
    change.kind = op == SQLITE_INSERT   ? ChangeKind::kInsert
                  : op == SQLITE_UPDATE ? ChangeKind::kUpdate
                                        : ChangeKind::kDelete;
    change.values.resize(static_cast<size_t>(columns));
    for (int c = 0; c < columns; c++) {
      sqlite3_value* old_value = nullptr;
      sqlite3_value* new_value = nullptr;
      if (op != SQLITE_DELETE) sqlite3changeset_new(iter, c, &new_value);
      if (op != SQLITE_INSERT) sqlite3changeset_old(iter, c, &old_value);
      if (new_value) change.values[c] = FromSqlite(new_value);
      // The key: an insert's new values; an update's or delete's old ones (a key that an
      // update changed is recorded as a delete and an insert).
      sqlite3_value* key_value = op == SQLITE_INSERT ? new_value : old_value;
      if (pk[c]) change.key.push_back(key_value ? FromSqlite(key_value) : Value(nullptr));
    }
    out->push_back(std::move(change));
  }
  int finished = sqlite3changeset_finalize(iter);
  if (rc != SQLITE_DONE || finished != SQLITE_OK) {
    return Status::Corruption(key + ": its changeset is malformed (" + sqlite3_errstr(rc) + ")");
  }
  return Status::Ok();
}

// What the record of one commit says about its rows.
Status Describe(const format::Record& rec, const std::string& key, std::deque<RowChange>* out) {
  auto note = [&](ChangeKind kind, std::string table, std::string text) {
    RowChange change;
    change.version = rec.version;
    change.time_micros = rec.time_micros;
    change.kind = kind;
    change.table = std::move(table);
    change.note = std::move(text);
    out->push_back(std::move(change));
  };
  if (rec.changeset.empty()) {
    note(ChangeKind::kNotRecorded, "",
         "not recorded: written by push, migrate or with change_feed off");
    return Status::Ok();
  }
  CL_ASSIGN_OR_RETURN(format::RowChanges changes, format::DecodeRowChanges(rec.changeset, key));
  if (changes.schema_changed) note(ChangeKind::kSchemaChanged, "", "the schema changed");
  for (const std::string& table : changes.unkeyed) {
    note(ChangeKind::kUnkeyedTable, table,
         "rows not carried: the table has no PRIMARY KEY that cannot hold NULL");
  }
  if (!changes.complete) {
    note(ChangeKind::kNotRecorded, "",
         changes.schema_changed
             ? "not recorded: the plain VFS records no rows of a commit that changed the schema"
             : "not recorded: the transaction changed more rows than its writer records "
               "(a quarter of write_memory), rows of a table with generated columns or whose "
               "columns it changed, or rows the plain VFS cannot compare");
  }
  return AppendRows(rec, changes.changeset, key, out);
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kInsert:
      return "insert";
    case ChangeKind::kUpdate:
      return "update";
    case ChangeKind::kDelete:
      return "delete";
    case ChangeKind::kUnkeyedTable:
      return "unkeyed";
    case ChangeKind::kSchemaChanged:
      return "schema";
    case ChangeKind::kNotRecorded:
      break;
  }
  return "not-recorded";
}

struct ChangeFeed::Impl {
  std::shared_ptr<ObjectStore> store;
  std::string db;
  std::string db_id;
  uint64_t base = 1;
  uint64_t version = 0;  // every change up to it was returned (or queued in `pending`)
  std::string nonce;     // of the record of `version`; empty when not known
  std::deque<RowChange> pending;

  // Reads the record after `version` into `pending`. False when there is none yet.
  Result<bool> ReadNext();
  // Whether a record newer than the missing `key` exists.
  Result<bool> NewerExists(const std::string& key);
};

Result<bool> ChangeFeed::Impl::NewerExists(const std::string& key) {
  CL_ASSIGN_OR_RETURN(ListPage page, store->List(format::LogPrefix(db), key, 1));
  return !page.keys.empty();
}

Result<bool> ChangeFeed::Impl::ReadNext() {
  const std::string key = format::LogKey(db, version + 1);
  Result<std::string> bytes = store->Get(key);
  if (bytes.status().IsNotFound()) {
    CL_ASSIGN_OR_RETURN(bool newer, NewerExists(key));
    if (!newer) return false;  // caught up
    bytes = store->Get(key);   // committed between the GET and the LIST, or a hole
    if (bytes.status().IsNotFound()) {
      return Status::Corruption(key +
                                " is missing while newer records exist (a hole in the log, or "
                                "deleted by garbage collection while this reader was behind)");
    }
  }
  CL_RETURN_IF_ERROR(bytes.status());
  CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, key));
  if (rec.end) {
    return Status::NotFound("database '" + db + "' was removed after version " +
                            std::to_string(version));
  }
  if (rec.format >= 2) {
    if (rec.db_id != db_id) {
      return Status::NotFound("database '" + db + "' was removed and created again");
    }
    // Unknown only when the record of `since` was deleted (garbage collection).
    bool follows =
        rec.version == base ? rec.prev == format::ZeroNonce() : nonce.empty() || rec.prev == nonce;
    if (!follows) return Status::Corruption(key + ": does not follow the record before it");
  }
  CL_RETURN_IF_ERROR(Describe(rec, key, &pending));
  version = rec.version;
  nonce = rec.nonce;
  return true;
}

ChangeFeed::ChangeFeed(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChangeFeed::~ChangeFeed() = default;

Result<std::unique_ptr<ChangeFeed>> ChangeFeed::Open(std::string_view uri, uint64_t since) {
  auto impl = std::make_unique<Impl>();
  CL_ASSIGN_OR_RETURN(DatabaseUri location, DatabaseUri::Parse(uri));
  CL_ASSIGN_OR_RETURN(impl->store, OpenStore(location.store, /*create=*/false));
  impl->db = location.name;
  // Opening an engine finds the incarnation (its id and first version) and the newest version.
  CL_ASSIGN_OR_RETURN(
      auto engine,
      engine::Engine::Open(impl->store, impl->db, {}, std::make_shared<engine::FrameCache>(1 << 20),
                           /*create=*/false));
  impl->db_id = engine->db_id();
  impl->base = engine->base();
  impl->version = std::max(since, impl->base - 1);
  if (impl->version > engine->version()) {
    return Status::InvalidArgument("version " + std::to_string(since) + " of '" + impl->db +
                                   "' does not exist yet (the newest is " +
                                   std::to_string(engine->version()) + ")");
  }
  if (impl->version >= impl->base) {  // the record the first one must follow
    const std::string key = format::LogKey(impl->db, impl->version);
    Result<std::string> bytes = impl->store->Get(key);
    if (bytes.ok()) {
      CL_ASSIGN_OR_RETURN(format::Record rec, format::DecodeRecord(*bytes, key));
      impl->nonce = rec.nonce;
    } else if (!bytes.status().IsNotFound()) {
      return bytes.status();
    }
  }
  // The first record after `since` must still be there.
  if (impl->version < engine->version()) {
    const std::string key = format::LogKey(impl->db, impl->version + 1);
    Result<std::string> first = impl->store->Get(key);
    if (first.status().IsNotFound()) {
      return Status::NotFound("the commits of '" + impl->db + "' after version " +
                              std::to_string(impl->version) + " are no longer kept (" + key +
                              " was deleted)");
    }
    CL_RETURN_IF_ERROR(first.status());
  }
  return std::unique_ptr<ChangeFeed>(new ChangeFeed(std::move(impl)));
}

Result<std::optional<RowChange>> ChangeFeed::Next() {
  while (impl_->pending.empty()) {
    CL_ASSIGN_OR_RETURN(bool read, impl_->ReadNext());
    if (!read) return std::optional<RowChange>();
  }
  RowChange change = std::move(impl_->pending.front());
  impl_->pending.pop_front();
  return std::optional<RowChange>(std::move(change));
}

uint64_t ChangeFeed::version() const {
  return impl_->pending.empty() ? impl_->version : impl_->pending.front().version - 1;
}

Status ForEachChange(std::string_view uri, uint64_t since,
                     const std::function<bool(const RowChange&)>& fn) {
  CL_ASSIGN_OR_RETURN(auto feed, ChangeFeed::Open(uri, since));
  for (;;) {
    CL_ASSIGN_OR_RETURN(std::optional<RowChange> change, feed->Next());
    if (!change || !fn(*change)) return Status::Ok();
  }
}

}  // namespace cloudlite
