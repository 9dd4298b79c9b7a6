#include "vfs/row_feed.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "vfs/guard.h"
#include "vfs/sqlite_header.h"

namespace cloudlite::vfs {
namespace {

using StmtPtr = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

Status SqlError(sqlite3* db, int rc, const std::string& what) {
  return Status::Internal(what + ": " + sqlite3_errstr(rc) + " (" + sqlite3_errmsg(db) + ")");
}

Result<StmtPtr> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqlError(db, rc, "preparing " + sql);
  return StmtPtr(stmt, sqlite3_finalize);
}

Status Exec(sqlite3* db, const std::string& sql) {
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(db, rc, sql);
  return Status::Ok();
}

TouchedRows::Row ReadRow(sqlite3* db, int (*get)(sqlite3*, int, sqlite3_value**)) {
  TouchedRows::Row row(static_cast<size_t>(std::max(0, sqlite3_preupdate_count(db))));
  for (size_t i = 0; i < row.size(); i++) {
    sqlite3_value* v = nullptr;
    if (get(db, static_cast<int>(i), &v) != SQLITE_OK || !v) continue;
    TouchedRows::Cell& cell = row[i];
    cell.type = sqlite3_value_type(v);
    if (cell.type == SQLITE_INTEGER) cell.integer = sqlite3_value_int64(v);
    if (cell.type == SQLITE_FLOAT) cell.real = sqlite3_value_double(v);
    if (cell.type == SQLITE_TEXT || cell.type == SQLITE_BLOB) {
      const void* p = cell.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_value_text(v))
                                               : sqlite3_value_blob(v);
      cell.bytes.assign(p ? static_cast<const char*>(p) : "",
                        static_cast<size_t>(sqlite3_value_bytes(v)));
    }
  }
  return row;
}

uint64_t RowBytes(const TouchedRows::Row& row) {
  uint64_t bytes = 32;
  for (const TouchedRows::Cell& cell : row) bytes += sizeof(cell) + cell.bytes.size();
  return bytes;
}

void Bind(sqlite3_stmt* stmt, int i, const TouchedRows::Cell& cell) {
  switch (cell.type) {
    case SQLITE_INTEGER:
      sqlite3_bind_int64(stmt, i, cell.integer);
      break;
    case SQLITE_FLOAT:
      sqlite3_bind_double(stmt, i, cell.real);
      break;
    case SQLITE_TEXT:
      sqlite3_bind_text(stmt, i, cell.bytes.data(), static_cast<int>(cell.bytes.size()),
                        SQLITE_STATIC);
      break;
    case SQLITE_BLOB:
      sqlite3_bind_blob(stmt, i, cell.bytes.data(), static_cast<int>(cell.bytes.size()),
                        SQLITE_STATIC);
      break;
    default:
      sqlite3_bind_null(stmt, i);
  }
}

// ---- the "cloudlite-image" VFS: read-only files served from an Image --------------------------
// Internal: the side connection of DiffRows attaches "file:cloudlite-image-N?vfs=cloudlite-image"
// while image N is lent to it; any other name fails to open.

constexpr char kImageVfs[] = "cloudlite-image";
sqlite3_vfs* g_platform = nullptr;

struct Lent {
  std::mutex mu;
  uint64_t next = 0;
  std::map<std::string, const Image*> images;
};
Lent& LentImages() {
  static auto* lent = new Lent();  // never destroyed, like the VFS
  return *lent;
}

}  // namespace

// Lends `image` under a file name for as long as it lives.
class ImageLoan {
 public:
  explicit ImageLoan(const Image* image) {
    Lent& lent = LentImages();
    std::lock_guard<std::mutex> lock(lent.mu);
    name_ = "cloudlite-image-" + std::to_string(++lent.next);
    lent.images[name_] = image;
  }
  ~ImageLoan() {
    Lent& lent = LentImages();
    std::lock_guard<std::mutex> lock(lent.mu);
    lent.images.erase(name_);
  }
  ImageLoan(const ImageLoan&) = delete;
  ImageLoan& operator=(const ImageLoan&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

namespace {

struct ImageHandle {
  sqlite3_file base;
  const Image* image;
  std::string* page;  // one page, for reads of part of one
};

ImageHandle& HandleOf(sqlite3_file* f) { return *reinterpret_cast<ImageHandle*>(f); }

int ImageClose(sqlite3_file* f) {
  delete HandleOf(f).page;
  HandleOf(f).page = nullptr;
  return SQLITE_OK;
}

int ImageRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Guard([&] {
    ImageHandle& h = HandleOf(f);
    const Image& image = *h.image;
    auto* out = static_cast<char*>(buf);
    const auto offset = static_cast<uint64_t>(off);
    const uint64_t end = std::min(offset + static_cast<uint64_t>(amt), image.bytes);
    h.page->resize(image.page_size);
    for (uint64_t pos = offset; pos < end;) {
      auto pgno = static_cast<uint32_t>(pos / image.page_size + 1);
      uint64_t within = pos % image.page_size;
      uint64_t n = std::min<uint64_t>(image.page_size - within, end - pos);
      Status s = image.read_page(pgno, h.page->data());
      if (!s.ok()) {
        sqlite3_log(SQLITE_IOERR_READ, "cloudlite: %s", s.ToString().c_str());
        return SQLITE_IOERR_READ;
      }
      if (pgno == 1) StampHeader(h.page->data(), image.page_size, image.counter, image.bytes);
      std::memcpy(out + (pos - offset), h.page->data() + within, n);
      pos += n;
    }
    if (end < offset + static_cast<uint64_t>(amt)) {
      uint64_t got = end > offset ? end - offset : 0;
      std::memset(out + got, 0, static_cast<size_t>(amt) - got);
      return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
  });
}

int ImageWrite(sqlite3_file*, const void*, int, sqlite3_int64) { return SQLITE_READONLY; }
int ImageTruncate(sqlite3_file*, sqlite3_int64) { return SQLITE_READONLY; }
int ImageSync(sqlite3_file*, int) { return SQLITE_OK; }
int ImageFileSize(sqlite3_file* f, sqlite3_int64* size) {
  *size = static_cast<sqlite3_int64>(HandleOf(f).image->bytes);
  return SQLITE_OK;
}
int ImageLock(sqlite3_file*, int) { return SQLITE_OK; }
int ImageCheckReservedLock(sqlite3_file*, int* out) {
  *out = 0;
  return SQLITE_OK;
}
int ImageFileControl(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int ImageSectorSize(sqlite3_file*) { return 4096; }
int ImageDeviceCharacteristics(sqlite3_file*) { return 0; }  // not immutable: a new one each commit

const sqlite3_io_methods kImageMethods = {1,
                                          ImageClose,
                                          ImageRead,
                                          ImageWrite,
                                          ImageTruncate,
                                          ImageSync,
                                          ImageFileSize,
                                          ImageLock,
                                          ImageLock,
                                          ImageCheckReservedLock,
                                          ImageFileControl,
                                          ImageSectorSize,
                                          ImageDeviceCharacteristics,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr,
                                          nullptr};

int ImageOpen(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  return Guard([&] {
    f->pMethods = nullptr;
    if (!(flags & SQLITE_OPEN_MAIN_DB))
      return g_platform->xOpen(g_platform, name, f, flags, out_flags);
    const Image* image = nullptr;
    {
      Lent& lent = LentImages();
      std::lock_guard<std::mutex> lock(lent.mu);
      auto it = name ? lent.images.find(name) : lent.images.end();
      if (it != lent.images.end()) image = it->second;
    }
    if (!image) return SQLITE_CANTOPEN;
    HandleOf(f).image = image;
    HandleOf(f).page = new std::string();
    f->pMethods = &kImageMethods;
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
  });
}

int ImageAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  *out = 0;  // no journal of an image ever exists
  return SQLITE_OK;
}

int ImageFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  sqlite3_snprintf(n, out, "%s", name);
  return SQLITE_OK;
}

Status RegisterImageVfs() {
  static int rc = [] {
    g_platform = sqlite3_vfs_find(nullptr);
    if (!g_platform) return SQLITE_ERROR;
    static sqlite3_vfs vfs = *g_platform;  // the platform's utilities (time, randomness, ...)
    vfs.pNext = nullptr;
    vfs.zName = kImageVfs;
    vfs.szOsFile = std::max<int>(static_cast<int>(sizeof(ImageHandle)), g_platform->szOsFile);
    vfs.xOpen = ImageOpen;
    vfs.xAccess = ImageAccess;
    vfs.xFullPathname = ImageFullPathname;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  }();
  if (rc != SQLITE_OK) return Status::Internal("registering the cloudlite-image VFS failed");
  return Status::Ok();
}

// One touched table's columns, as the state being committed declares them.
struct Columns {
  std::vector<std::string> names;
  std::vector<size_t> key;  // columns of the PRIMARY KEY, in key order
  bool generated = false;
  bool without_rowid = false;
};

Result<Columns> ReadColumns(sqlite3* side, const std::string& table) {
  Columns cols;
  CL_ASSIGN_OR_RETURN(StmtPtr info,
                      Prepare(side,
                              "SELECT name, pk, hidden FROM pragma_table_xinfo(?1, 'after_image') "
                              "ORDER BY cid"));
  sqlite3_bind_text(info.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<int, size_t>> key;  // pk position, column
  while (sqlite3_step(info.get()) == SQLITE_ROW) {
    if (sqlite3_column_int(info.get(), 2) != 0) cols.generated = true;
    int pk = sqlite3_column_int(info.get(), 1);
    if (pk > 0) key.emplace_back(pk, cols.names.size());
    cols.names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0)));
  }
  std::sort(key.begin(), key.end());
  for (const auto& k : key) cols.key.push_back(k.second);
  CL_ASSIGN_OR_RETURN(
      StmtPtr list,
      Prepare(side, "SELECT wr FROM pragma_table_list(?1) WHERE schema = 'after_image'"));
  sqlite3_bind_text(list.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  cols.without_rowid =
      sqlite3_step(list.get()) == SQLITE_ROW && sqlite3_column_int(list.get(), 0) != 0;
  return cols;
}

// The statement that copies a touched row of `table` in `image` (an attached schema) into
// `rows`, by rowid or, WITHOUT ROWID, by key.
Result<StmtPtr> PrepareCopy(sqlite3* side, const std::string& table, const Columns& cols,
                            const char* image, const char* rows) {
  std::string where;
  if (cols.without_rowid) {
    for (size_t i = 0; i < cols.key.size(); i++) {
      where += (i ? " AND " : "") + Quote(cols.names[cols.key[i]]) + " = ?" + std::to_string(i + 1);
    }
  } else {
    // A nullable key (an unkeyed table): the rows whose key holds no NULL, as a session records.
    where = "_rowid_ = ?1";
    for (size_t k : cols.key) where += " AND " + Quote(cols.names[k]) + " IS NOT NULL";
  }
  return Prepare(side, "INSERT OR IGNORE INTO " + std::string(rows) + "." + Quote(table) +
                           " SELECT * FROM " + image + "." + Quote(table) + " WHERE " + where);
}

// Copies the touched rows through `copy` (PrepareCopy).
Status CopyRows(sqlite3* side, sqlite3_stmt* copy, const Columns& cols,
                const TouchedRows::Table& keys) {
  auto step = [&]() -> Status {
    int rc = sqlite3_step(copy);
    sqlite3_reset(copy);
    sqlite3_clear_bindings(copy);
    if (rc != SQLITE_DONE) return SqlError(side, rc, "copying touched rows");
    return Status::Ok();
  };
  if (!cols.without_rowid) {
    for (int64_t rowid : keys.rowids) {
      sqlite3_bind_int64(copy, 1, rowid);
      CL_RETURN_IF_ERROR(step());
    }
    return Status::Ok();
  }
  for (const TouchedRows::Row& row : keys.rows) {
    if (row.size() != cols.names.size()) return Status::Internal("a row of another shape");
    for (size_t i = 0; i < cols.key.size(); i++) {
      Bind(copy, static_cast<int>(i + 1), row[cols.key[i]]);
    }
    CL_RETURN_IF_ERROR(step());
  }
  return Status::Ok();
}

// Connections with the hook, each until it closes.
struct Hooked {
  std::mutex mu;
  std::set<sqlite3*> connections;
};
Hooked& HookedConnections() {
  static auto* hooked = new Hooked();  // never destroyed: connections may close during exit
  return *hooked;
}

// The connection's marker function is destroyed when it closes: then it has no hook.
void ForgetRowHook(void* db) {
  Hooked& hooked = HookedConnections();
  std::lock_guard<std::mutex> lock(hooked.mu);
  hooked.connections.erase(static_cast<sqlite3*>(db));
}
void MarkerFunction(sqlite3_context* context, int, sqlite3_value**) {
  sqlite3_result_null(context);
}

}  // namespace

void MarkRowHookInstalled(sqlite3* db) {
  // Replacing an earlier marker forgets the connection first: mark it after.
  if (sqlite3_create_function_v2(db, "cloudlite_row_hook", 0, SQLITE_UTF8, db, MarkerFunction,
                                 nullptr, nullptr, ForgetRowHook) != SQLITE_OK) {
    return;  // not marked: its commits record no rows
  }
  Hooked& hooked = HookedConnections();
  std::lock_guard<std::mutex> lock(hooked.mu);
  hooked.connections.insert(db);
}

bool RowHookInstalled(sqlite3* db) {
  if (!db) return false;
  Hooked& hooked = HookedConnections();
  std::lock_guard<std::mutex> lock(hooked.mu);
  return hooked.connections.count(db) != 0;
}

std::string Quote(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<bool> FullyRecorded(sqlite3* db, const char* schema, const std::string& table) {
  const char* sql =
      "SELECT (SELECT count(*) FROM pragma_table_info(?1, ?2) WHERE pk > 0), "
      "       (SELECT count(*) FROM pragma_table_info(?1, ?2) WHERE pk > 0 AND \"notnull\"), "
      "       (SELECT wr FROM pragma_table_list(?1) WHERE schema = ?2), "
      "       (SELECT count(*) FROM pragma_index_list(?1, ?2) WHERE origin = 'pk')";
  CL_ASSIGN_OR_RETURN(StmtPtr stmt, Prepare(db, sql));
  sqlite3_bind_text(stmt.get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt.get(), 2, schema, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return SqlError(db, rc, "inspecting a table");
  int64_t key_columns = sqlite3_column_int64(stmt.get(), 0);
  int64_t not_null = sqlite3_column_int64(stmt.get(), 1);
  bool without_rowid = sqlite3_column_int64(stmt.get(), 2) != 0;
  bool rowid_alias = !without_rowid && sqlite3_column_int64(stmt.get(), 3) == 0;
  return key_columns > 0 && (without_rowid || rowid_alias || not_null == key_columns);
}

void TouchedRows::Note(sqlite3* db, int op, const char* table, int64_t key1, int64_t key2) {
  if (overflow_) return;
  auto [it, added] = tables_.try_emplace(table);
  Table& t = it->second;
  if (added) bytes_ += 64 + it->first.size();
  constexpr uint64_t kKeyBytes = 40;  // a std::set node
  if (t.rowids.insert(key1).second) bytes_ += kKeyBytes;
  if (t.rowids.insert(key2).second) bytes_ += kKeyBytes;
  if (key1 == 0 && key2 == 0) {  // perhaps a WITHOUT ROWID table: keep the rows themselves
    const size_t first = t.rows.size();
    if (op != SQLITE_INSERT) t.rows.push_back(ReadRow(db, sqlite3_preupdate_old));
    if (op != SQLITE_DELETE) t.rows.push_back(ReadRow(db, sqlite3_preupdate_new));
    for (size_t i = first; i < t.rows.size(); i++) bytes_ += RowBytes(t.rows[i]);
  }
  if (bytes_ > limit_) {
    overflow_ = true;
    tables_.clear();
  }
}

void TouchedRows::Clear() {
  tables_.clear();
  bytes_ = 0;
  overflow_ = false;
}

struct RowDiffer::TableShape {
  bool comparable = false;  // neither a system table nor one with generated columns
  bool keyed = false;       // FullyRecorded
  bool carried = false;     // it has a key: its rows whose key holds no NULL can be carried
  Columns cols;
  StmtPtr copy_after{nullptr, sqlite3_finalize};
  StmtPtr copy_before{nullptr, sqlite3_finalize};
};

RowDiffer::RowDiffer() = default;
RowDiffer::~RowDiffer() { Close(); }

void RowDiffer::Close() {
  shapes_.clear();  // their statements first
  sqlite3_close(side_);
  side_ = nullptr;
  before_loan_.reset();
  after_loan_.reset();
}

Status RowDiffer::Open() {
  CL_RETURN_IF_ERROR(RegisterImageVfs());
  int rc = sqlite3_open_v2(":memory:", &side_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, nullptr);
  if (rc != SQLITE_OK) return SqlError(side_, rc, "opening a side connection");
  before_loan_ = std::make_unique<ImageLoan>(&before_);
  after_loan_ = std::make_unique<ImageLoan>(&after_);
  // main holds the touched rows as committed, before_rows as they were.
  return Exec(side_, "ATTACH 'file:" + before_loan_->name() + "?vfs=" + kImageVfs +
                         "&mode=ro' AS before_image;"
                         "ATTACH 'file:" +
                         after_loan_->name() + "?vfs=" + kImageVfs +
                         "&mode=ro' AS after_image;"
                         "ATTACH ':memory:' AS before_rows");
}

Result<format::RowChanges> RowDiffer::Diff(Image before, Image after, const TouchedRows& touched,
                                           uint64_t limit, uint32_t schema_cookie) {
  if (schema_cookie != schema_cookie_) Close();  // what it knows of the tables is stale
  schema_cookie_ = schema_cookie;
  before_ = std::move(before);
  after_ = std::move(after);
  // Each image a counter of its own: the side connection keeps no page of an earlier one.
  before_.counter = ++generation_;
  after_.counter = ++generation_;
  if (!side_) {
    Status opened = Open();
    if (!opened.ok()) {
      Close();
      return opened;
    }
  }
  Result<format::RowChanges> diff = DiffOpen(touched, limit);
  // Drops the copies and ends the read of the images; after an error, start afresh.
  Status rolled_back = Exec(side_, "ROLLBACK");
  if (!diff.ok() || !rolled_back.ok()) Close();
  before_.read_page = after_.read_page = nullptr;
  return diff;
}

Result<RowDiffer::TableShape*> RowDiffer::Shape(const std::string& table) {
  auto found = shapes_.find(table);
  if (found != shapes_.end()) return found->second.get();
  auto shape = std::make_unique<TableShape>();
  if (table.rfind("sqlite_", 0) != 0) {  // sqlite_stat1, say, has no key
    CL_ASSIGN_OR_RETURN(shape->cols, ReadColumns(side_, table));
    shape->comparable = !shape->cols.names.empty() && !shape->cols.generated;
  }
  if (shape->comparable) {
    CL_ASSIGN_OR_RETURN(shape->keyed, FullyRecorded(side_, "after_image", table));
  }
  shape->carried = shape->comparable && !shape->cols.key.empty();
  if (shape->carried) {
    // Plain copies: no types, constraints or collations, so every value stays as it is.
    const Columns& cols = shape->cols;
    std::string columns;
    for (const std::string& name : cols.names) columns += Quote(name) + ", ";
    std::string key;
    for (size_t k : cols.key) key += (key.empty() ? "" : ", ") + Quote(cols.names[k]);
    const std::string def = Quote(table) + " (" + columns + "PRIMARY KEY (" + key + "))";
    CL_RETURN_IF_ERROR(
        Exec(side_, "CREATE TABLE main." + def + "; CREATE TABLE before_rows." + def));
    CL_ASSIGN_OR_RETURN(shape->copy_after, PrepareCopy(side_, table, cols, "after_image", "main"));
    CL_ASSIGN_OR_RETURN(shape->copy_before,
                        PrepareCopy(side_, table, cols, "before_image", "before_rows"));
  }
  return shapes_.emplace(table, std::move(shape)).first->second.get();
}

Result<format::RowChanges> RowDiffer::DiffOpen(const TouchedRows& touched, uint64_t limit) {
  format::RowChanges out;
  format::RowChanges incomplete;
  incomplete.complete = false;
  sqlite3* side = side_;
  std::vector<std::pair<const TouchedRows::Table*, TableShape*>> tables;
  for (const auto& entry : touched.tables()) {
    CL_ASSIGN_OR_RETURN(TableShape * shape, Shape(entry.first));
    if (!shape->comparable) return incomplete;
    if (!shape->keyed) out.unkeyed.push_back(entry.first);
    if (shape->carried) tables.emplace_back(&entry.second, shape);
  }
  // The copies are made in a transaction that Diff rolls back: the copy tables stay empty.
  CL_RETURN_IF_ERROR(Exec(side, "BEGIN"));
  sqlite3_session* session = nullptr;
  int rc = sqlite3session_create(side, "main", &session);
  if (rc != SQLITE_OK) return SqlError(side, rc, "starting a session");
  std::unique_ptr<sqlite3_session, void (*)(sqlite3_session*)> end(session, sqlite3session_delete);
  for (const auto& [keys, shape] : tables) {
    CL_RETURN_IF_ERROR(CopyRows(side, shape->copy_after.get(), shape->cols, *keys));
    CL_RETURN_IF_ERROR(CopyRows(side, shape->copy_before.get(), shape->cols, *keys));
  }
  for (const auto& entry : touched.tables()) {
    const std::string& table = entry.first;
    if (!shapes_.at(table)->carried) continue;
    rc = sqlite3session_attach(session, table.c_str());
    if (rc != SQLITE_OK) return SqlError(side, rc, "attaching " + table);
    char* error = nullptr;
    rc = sqlite3session_diff(session, "before_rows", table.c_str(), &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    if (rc != SQLITE_OK) return Status::Internal("diffing " + table + ": " + message);
  }
  int size = 0;
  void* bytes = nullptr;
  rc = sqlite3session_changeset(session, &size, &bytes);
  if (rc != SQLITE_OK) return SqlError(side, rc, "writing the changeset");
  out.changeset.assign(static_cast<const char*>(bytes), static_cast<size_t>(size));
  sqlite3_free(bytes);
  if (out.changeset.size() > limit) return incomplete;
  return out;
}

}  // namespace cloudlite::vfs
