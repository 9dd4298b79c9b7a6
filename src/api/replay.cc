#include "api/replay.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "format/format.h"
#include "vfs/row_feed.h"

namespace cloudlite {
namespace {

Status SessionError(sqlite3* db, int rc, const char* what) {
  return Status::Internal(std::string(what) + ": " + sqlite3_errstr(rc) + " (" +
                          sqlite3_errmsg(db) + ")");
}

int AbortOnConflict(void*, int, sqlite3_changeset_iter*) { return SQLITE_CHANGESET_ABORT; }

// ---- the changeset format (sqlite3session.h, "CHANGESET FORMAT") ----------------------------

// Value types as a changeset writes them: SQLite's type codes, and 0 for a value left out.
constexpr char kUndefined = 0;
constexpr char kInsert = SQLITE_INSERT, kUpdate = SQLITE_UPDATE, kDelete = SQLITE_DELETE;

// SQLite's varint (big-endian groups of 7 bits), for a length: below 2^56, so never 9 bytes.
void PutLength(std::string* out, uint64_t n) {
  char groups[8];
  int count = 0;
  do {
    groups[count++] = static_cast<char>(n & 0x7f);
    n >>= 7;
  } while (n != 0);
  while (count > 1) out->push_back(static_cast<char>(groups[--count] | 0x80));
  out->push_back(groups[0]);
}

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutBytes(std::string* out, const void* bytes, int size) {
  PutLength(out, static_cast<uint64_t>(size));
  if (size > 0) out->append(static_cast<const char*>(bytes), static_cast<size_t>(size));
}

void PutDouble(std::string* out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  PutBigEndian64(out, bits);
}

// A value in a changeset record: its type, then 8 bytes for a number, or a length and bytes.
void PutValue(std::string* out, sqlite3_value* v) {
  const int type = sqlite3_value_type(v);
  out->push_back(static_cast<char>(type));
  switch (type) {
    case SQLITE_INTEGER:
      return PutBigEndian64(out, static_cast<uint64_t>(sqlite3_value_int64(v)));
    case SQLITE_FLOAT:
      return PutDouble(out, sqlite3_value_double(v));
    case SQLITE_TEXT: {
      const unsigned char* text = sqlite3_value_text(v);
      return PutBytes(out, text, sqlite3_value_bytes(v));
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_value_blob(v);
      return PutBytes(out, blob, sqlite3_value_bytes(v));
    }
    default:
      return;  // NULL
  }
}

void PutColumn(std::string* out, sqlite3_stmt* stmt, int i) {
  PutValue(out, sqlite3_column_value(stmt, i));
}

// One value as PutValue wrote it (the recorder's own bytes: trusted), at the front of `in`.
struct Written {
  int type = 0;
  uint64_t bits = 0;       // INTEGER, FLOAT
  std::string_view bytes;  // TEXT, BLOB
  std::string_view all;    // the value as written
  double real() const {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
};

Written TakeValue(std::string_view* in) {
  Written w;
  const char* start = in->data();
  w.type = static_cast<unsigned char>((*in)[0]);
  in->remove_prefix(1);
  if (w.type == SQLITE_INTEGER || w.type == SQLITE_FLOAT) {
    for (int k = 0; k < 8; k++) w.bits = (w.bits << 8) | static_cast<unsigned char>((*in)[k]);
    in->remove_prefix(8);
  } else if (w.type == SQLITE_TEXT || w.type == SQLITE_BLOB) {
    uint64_t n = 0;
    unsigned char c;
    do {
      c = static_cast<unsigned char>((*in)[0]);
      in->remove_prefix(1);
      n = (n << 7) | (c & 0x7f);
    } while (c & 0x80);
    w.bytes = in->substr(0, n);
    in->remove_prefix(n);
  }
  w.all = std::string_view(start, static_cast<size_t>(in->data() - start));
  return w;
}

// Whether column `i` of `stmt` holds what `w` wrote (as the session extension compares: a
// float by its value).
bool Same(const Written& w, sqlite3_stmt* stmt, int i) {
  if (sqlite3_column_type(stmt, i) != w.type) return false;
  switch (w.type) {
    case SQLITE_INTEGER:
      return static_cast<uint64_t>(sqlite3_column_int64(stmt, i)) == w.bits;
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, i) == w.real();
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      const void* p = w.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(stmt, i))
                                            : sqlite3_column_blob(stmt, i);
      const auto n = static_cast<size_t>(sqlite3_column_bytes(stmt, i));
      return n == w.bytes.size() && (n == 0 || std::memcmp(p, w.bytes.data(), n) == 0);
    }
    default:
      return true;  // NULL
  }
}

int Bind(sqlite3_stmt* stmt, int index, const Written& w) {
  switch (w.type) {
    case SQLITE_INTEGER:
      return sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(w.bits));
    case SQLITE_FLOAT:
      return sqlite3_bind_double(stmt, index, w.real());
    case SQLITE_TEXT:
      return sqlite3_bind_text64(stmt, index, w.bytes.data(), w.bytes.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    default:
      return sqlite3_bind_blob64(stmt, index, w.bytes.data(), w.bytes.size(), SQLITE_TRANSIENT);
  }
}

}  // namespace

// ---- ChangeRecorder -------------------------------------------------------------------------

// The rows of one table the transaction changed, by key: their key columns' values as a
// changeset writes them, in column order.
struct ChangeRecorder::Table {
  std::string name;
  std::shared_ptr<TableShape> shape;
  int64_t learned_at = 0;  // the schema cookie `shape` was learned at
  struct Row {
    bool existed = false;  // its first change was an UPDATE or a DELETE: `old` holds it
    bool indirect = true;  // every change to it came from a trigger or a foreign key action
    std::string old;       // every column's value before the transaction, if it existed
  };
  std::unordered_map<std::string, size_t> index;  // key -> rows
  std::vector<std::pair<std::string, Row>> rows;  // in the order first changed
};

ChangeRecorder::ChangeRecorder(sqlite3* db, SchemaFacts& facts, uint64_t memory_limit,
                               int64_t version)
    : db_(db), facts_(facts), memory_limit_(memory_limit), version_(version) {}

Result<std::unique_ptr<ChangeRecorder>> ChangeRecorder::Start(sqlite3* db, SchemaFacts& facts,
                                                              uint64_t memory_limit) {
  CL_ASSIGN_OR_RETURN(int64_t version, facts.Version());
  std::unique_ptr<ChangeRecorder> recorder(new ChangeRecorder(db, facts, memory_limit, version));
  sqlite3_preupdate_hook(db, &ChangeRecorder::Hook, recorder.get());
  return recorder;
}

ChangeRecorder::~ChangeRecorder() { sqlite3_preupdate_hook(db_, nullptr, nullptr); }

void ChangeRecorder::Hook(void* self, sqlite3*, int op, const char* schema, const char* table,
                          sqlite3_int64, sqlite3_int64) {
  if (std::strcmp(schema, "main") != 0) return;  // as the session extension records "main"
  static_cast<ChangeRecorder*>(self)->Note(op, table);
}

void ChangeRecorder::Stop() {
  stopped_ = true;
  for (const auto& t : tables_) {
    t->index = {};
    t->rows = {};
  }
}

ChangeRecorder::Table* ChangeRecorder::Find(const char* name) {
  for (const auto& t : tables_) {
    if (t->name == name) return t.get();
  }
  // Asking SQLite from inside its preupdate hook is allowed: the session extension does.
  Result<int64_t> version = facts_.Version();
  Result<std::shared_ptr<TableShape>> shape =
      version.ok() ? facts_.Shape(name, *version, *version == version_) : version.status();
  if (!shape.ok()) {
    error_ = shape.status();
    return nullptr;
  }
  auto t = std::make_unique<Table>();
  t->name = name;
  t->shape = std::move(shape).value();
  t->learned_at = *version;
  tables_.push_back(std::move(t));
  return tables_.back().get();
}

void ChangeRecorder::Note(int op, const char* name) {
  if (!error_.ok()) return;
  Table* t = Find(name);
  if (!t || stopped_) return;
  const TableShape& shape = *t->shape;
  // Without a key its rows are not carried, as the session extension leaves them (the table is
  // not fully recorded). A keyed table whose rows cannot be carried makes the changes unusable.
  if (shape.key.find_first_not_of('\0') == std::string::npos) return;
  if (!shape.carried || sqlite3_preupdate_count(db_) != shape.columns) return Stop();
  const bool indirect = sqlite3_preupdate_depth(db_) > 0;
  // An UPDATE is noted under its old key and, if that differs, as an INSERT under its new one.
  if (op != SQLITE_INSERT) NoteRow(*t, /*insert=*/false, indirect);
  if (op != SQLITE_DELETE) NoteRow(*t, /*insert=*/true, indirect);
  if (bytes_ > memory_limit_) Stop();
}

void ChangeRecorder::NoteRow(Table& t, bool insert, bool indirect) {
  const TableShape& shape = *t.shape;
  auto get = insert ? sqlite3_preupdate_new : sqlite3_preupdate_old;
  std::string key;
  for (int i = 0; i < shape.columns; i++) {
    if (shape.key[i] == 0) continue;
    sqlite3_value* v = nullptr;
    if (get(db_, i, &v) != SQLITE_OK || !v) return Stop();
    if (sqlite3_value_type(v) == SQLITE_NULL) return;  // as the session extension: not recorded
    PutValue(&key, v);
  }
  auto [it, added] = t.index.try_emplace(key, t.rows.size());
  if (!added) {
    Table::Row& row = t.rows[it->second].second;
    row.indirect = row.indirect && indirect;
    return;
  }
  Table::Row row;
  row.existed = !insert;
  row.indirect = indirect;
  // What the changeset may come to hold: the old values, and as many new ones.
  uint64_t values = 0;
  for (int i = 0; i < shape.columns; i++) {
    sqlite3_value* v = nullptr;
    if (get(db_, i, &v) != SQLITE_OK || !v) return Stop();
    if (insert) {
      values += 9 + static_cast<uint64_t>(sqlite3_value_bytes(v));
    } else {
      PutValue(&row.old, v);
    }
  }
  bytes_ += 2 * key.size() + 2 * row.old.size() + values + 64;
  t.rows.emplace_back(std::move(key), std::move(row));
}

namespace {

// The UPDATE of a row that existed, if the statement's current row differs from `old`: the old
// record holds the key and what changed, the new record what changed.
void AppendUpdate(std::string* out, bool indirect, std::string_view old, sqlite3_stmt* row,
                  const TableShape& shape) {
  std::string old_record, new_record;
  bool changed = false;
  for (int i = 0; i < shape.columns; i++) {
    const Written w = TakeValue(&old);
    const bool differs = !Same(w, row, i);
    changed = changed || differs;
    if (differs || shape.key[i] != 0) {
      old_record += w.all;
    } else {
      old_record.push_back(kUndefined);
    }
    if (differs) {
      PutColumn(&new_record, row, i);
    } else {
      new_record.push_back(kUndefined);
    }
  }
  if (!changed) return;
  out->push_back(kUpdate);
  out->push_back(static_cast<char>(indirect));
  *out += old_record;
  *out += new_record;
}

}  // namespace

Status ChangeRecorder::AppendTable(std::string* out, const Table& t, TableShape& shape) {
  sqlite3_stmt* select = shape.select.get();
  const size_t rewind = out->size();
  out->push_back('T');
  PutLength(out, static_cast<uint64_t>(shape.columns));
  *out += shape.key;
  out->append(t.name.c_str(), t.name.size() + 1);
  const size_t header = out->size();
  for (const auto& [key, row] : t.rows) {
    // The row as it is now, by its key: it may have come and gone since it was noted.
    std::string_view in = key;
    int rc = SQLITE_OK;
    for (int i = 0; i < shape.columns && rc == SQLITE_OK; i++) {
      if (shape.key[i] != 0) rc = Bind(select, i + 1, TakeValue(&in));
    }
    if (rc == SQLITE_OK) rc = sqlite3_step(select);
    if (rc == SQLITE_ROW && !row.existed) {
      out->push_back(kInsert);
      out->push_back(static_cast<char>(row.indirect));
      for (int i = 0; i < shape.columns; i++) PutColumn(out, select, i);
    } else if (rc == SQLITE_ROW) {
      AppendUpdate(out, row.indirect, row.old, select, shape);
    } else if (rc == SQLITE_DONE && row.existed) {
      out->push_back(kDelete);
      out->push_back(static_cast<char>(row.indirect));
      *out += row.old;
    }
    sqlite3_reset(select);
    sqlite3_clear_bindings(select);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return SessionError(db_, rc, "reading the rows a transaction changed");
    }
  }
  if (out->size() == header) out->resize(rewind);  // nothing left of its changes
  return Status::Ok();
}

Result<RecordedChanges> ChangeRecorder::Finish() {
  CL_RETURN_IF_ERROR(error_);
  RecordedChanges changes;
  for (const auto& t : tables_) changes.tables.insert(t->name);
  changes.complete = false;
  if (stopped_) return changes;
  CL_ASSIGN_OR_RETURN(int64_t version, facts_.Version());
  for (const auto& t : tables_) {
    if (t->rows.empty()) continue;
    std::shared_ptr<TableShape> shape = t->shape;
    if (t->learned_at != version) {
      // The transaction changed the schema since: the rows are read in the shape they have now,
      // which must be the one they were noted in.
      CL_ASSIGN_OR_RETURN(shape, facts_.Shape(t->name, version, /*remember=*/false));
      if (!shape->carried || shape->columns != t->shape->columns || shape->key != t->shape->key) {
        changes.changeset.clear();
        return changes;
      }
    }
    CL_RETURN_IF_ERROR(AppendTable(&changes.changeset, *t, *shape));
  }
  changes.complete = true;
  return changes;
}

// ---- SchemaFacts ----------------------------------------------------------------------------

SchemaFacts::~SchemaFacts() {
  sqlite3_finalize(version_);
  sqlite3_finalize(columns_);
}

Result<int64_t> SchemaFacts::Version() {
  int rc = version_ ? SQLITE_OK
                    : sqlite3_prepare_v2(db_, "PRAGMA main.schema_version", -1, &version_, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(version_);
  const int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(version_, 0) : 0;
  sqlite3_reset(version_);
  if (rc != SQLITE_ROW) return SessionError(db_, rc, "reading the schema version");
  return version;
}

void SchemaFacts::Follow(int64_t version) {
  if (version == known_version_) return;
  known_.clear();
  shapes_.clear();
  known_version_ = version;
}

// The rule is vfs::FullyRecorded's (the plain VFS asks it too); this remembers its answers.
Result<bool> SchemaFacts::FullyRecorded(const std::string& table, bool remember) {
  CL_ASSIGN_OR_RETURN(int64_t version, Version());
  Follow(version);
  if (auto it = known_.find(table); it != known_.end()) return it->second;
  CL_ASSIGN_OR_RETURN(bool fully, vfs::FullyRecorded(db_, "main", table));
  if (remember) known_[table] = fully;
  return fully;
}

Result<std::shared_ptr<TableShape>> SchemaFacts::Shape(const std::string& table, int64_t version,
                                                       bool remember) {
  Follow(version);
  if (auto it = shapes_.find(table); it != shapes_.end()) return it->second;
  int rc = columns_ ? SQLITE_OK
                    : sqlite3_prepare_v2(db_,
                                         "SELECT name, pk, hidden FROM "
                                         "pragma_table_xinfo(?1, 'main') ORDER BY cid",
                                         -1, &columns_, nullptr);
  if (rc != SQLITE_OK) return SessionError(db_, rc, "reading a table's columns");
  sqlite3_bind_text(columns_, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  auto shape = std::make_shared<TableShape>();
  std::string names, where;
  bool generated = false;
  while ((rc = sqlite3_step(columns_)) == SQLITE_ROW) {
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(columns_, 0));
    const int pk = sqlite3_column_int(columns_, 1);
    generated = generated || sqlite3_column_int(columns_, 2) != 0;
    shape->key.push_back(static_cast<char>(pk));
    names += (names.empty() ? "" : ", ") + vfs::Quote(name);
    if (pk > 0) {
      where += (where.empty() ? "" : " AND ") + vfs::Quote(name) + " IS ?" +
               std::to_string(shape->columns + 1);
    }
    shape->columns++;
  }
  sqlite3_reset(columns_);
  sqlite3_clear_bindings(columns_);
  if (rc != SQLITE_DONE) return SessionError(db_, rc, "reading a table's columns");
  // sqlite_stat1 and the like have no key (the session extension pretends one for sqlite_stat1;
  // here its rows are not carried, as of any table without one).
  shape->carried = !where.empty() && !generated;
  if (shape->carried) {
    const std::string sql =
        "SELECT " + names + " FROM main." + vfs::Quote(table) + " WHERE " + where;
    sqlite3_stmt* select = nullptr;
    rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &select, nullptr);
    if (rc != SQLITE_OK) return SessionError(db_, rc, "reading a table's columns");
    shape->select.reset(select);
  }
  if (remember) shapes_[table] = shape;
  return shape;
}

Result<bool> ApplyChangeset(sqlite3* db, SchemaFacts& facts, const RecordedChanges& changes) {
  if (changes.changeset.empty()) return false;
  // Rows only: the transaction has not changed the schema.
  for (const std::string& table : changes.tables) {
    CL_ASSIGN_OR_RETURN(bool recorded, facts.FullyRecorded(table, /*remember=*/true));
    if (!recorded) return false;
  }
  const std::string& changeset = changes.changeset;
  int triggers = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &triggers);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  int rc = sqlite3changeset_apply(db, static_cast<int>(changeset.size()),
                                  const_cast<char*>(changeset.data()), nullptr, AbortOnConflict,
                                  nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, triggers, nullptr);
  if (rc == SQLITE_ABORT || (rc & 0xff) == SQLITE_CONSTRAINT) return false;
  if (rc != SQLITE_OK) return SessionError(db, rc, "replaying a transaction's changes");
  return true;
}

Result<std::string> RowChangesSection(SchemaFacts& facts, const RecordedChanges& changes,
                                      bool schema_changed) {
  format::RowChanges section;
  section.complete = changes.complete;
  section.schema_changed = schema_changed;
  section.changeset = changes.changeset;
  for (const std::string& table : changes.tables) {
    CL_ASSIGN_OR_RETURN(bool recorded, facts.FullyRecorded(table, !schema_changed));
    if (!recorded) section.unkeyed.push_back(table);
  }
  return format::EncodeRowChanges(section);
}

}  // namespace cloudlite
