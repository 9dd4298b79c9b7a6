#include "server/sql/pool.h"

#include <algorithm>
#include <cctype>

namespace cloudlite::server::sql {

sqlite3_stmt* StatementCache::Find(std::string_view sql, bool read_only) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->sql != sql) continue;
    if (it->read_only != read_only) return nullptr;
    sqlite3_stmt* stmt = it->stmt;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    std::rotate(it.base() - 1, it.base(), entries_.end());  // now the most recently used
    return stmt;
  }
  return nullptr;
}

std::optional<bool> StatementCache::ReadOnly(std::string_view sql) const {
  for (const Entry& e : entries_) {
    if (e.sql == sql) return sqlite3_stmt_readonly(e.stmt) != 0;
  }
  return std::nullopt;
}

void StatementCache::Put(std::string_view sql, sqlite3_stmt* stmt, bool read_only) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);  // no argument's copy kept while idle
  auto same =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.sql == sql; });
  if (same == entries_.end() && entries_.size() >= capacity_) same = entries_.begin();
  if (same != entries_.end()) {
    sqlite3_finalize(same->stmt);
    entries_.erase(same);
  }
  entries_.push_back({std::string(sql), stmt, read_only});
}

void StatementCache::Clear() {
  for (Entry& e : entries_) sqlite3_finalize(e.stmt);
  entries_.clear();
}

DatabasePool::Lease& DatabasePool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (c_) pool_->Release(std::move(c_));
    pool_ = other.pool_;
    c_ = std::move(other.c_);
  }
  return *this;
}

DatabasePool::Lease::~Lease() {
  if (c_) pool_->Release(std::move(c_));
}

void DatabasePool::Lease::Park() {
  if (c_) pool_->Release(std::move(c_), /*parked=*/true);
}

DatabasePool::~DatabasePool() = default;

Status DatabasePool::CheckName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' && name.back() != '.';
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') ok = false;
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("\"" + std::string(name).substr(0, 80) +
                                 "\" is not a database name: use 1-64 letters, digits, '_', "
                                 "'-' and '.' (not first or last)");
}

std::string DatabasePool::UriOf(std::string_view name) const {
  const std::string& store = options_.store;
  size_t query = store.find('?');
  std::string path = store.substr(0, query);
  while (!path.empty() && path.back() == '/') path.pop_back();
  path += "/";
  path += name;
  if (query != std::string::npos) path += store.substr(query);
  return path;
}

size_t DatabasePool::open_connections() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [name, e] : entries_) n += e.open;
  return n;
}

size_t DatabasePool::open_databases() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void DatabasePool::CollectIdle(bool need_room, std::vector<std::unique_ptr<Connection>>* doomed) {
  auto now = options_.now();
  for (auto& [name, e] : entries_) {
    for (auto it = e.idle.begin(); it != e.idle.end();) {
      if (now - (*it)->idle_since >= options_.idle_close) {
        doomed->push_back(std::move(*it));
        it = e.idle.erase(it);
        e.open--;
      } else {
        ++it;
      }
    }
  }
  if (need_room) {
    // The database whose connections are all idle and whose newest idle one is oldest.
    Entry* victim = nullptr;
    std::chrono::steady_clock::time_point newest_of_victim;
    for (auto& [name, e] : entries_) {
      if (e.open == 0 || e.idle.size() != e.open) continue;
      auto newest = e.idle.front()->idle_since;
      for (const auto& c : e.idle) newest = std::max(newest, c->idle_since);
      if (!victim || newest < newest_of_victim) {
        victim = &e;
        newest_of_victim = newest;
      }
    }
    if (victim) {
      for (auto& c : victim->idle) doomed->push_back(std::move(c));
      victim->idle.clear();
      victim->open = 0;
    }
  }
  std::erase_if(entries_, [](const auto& kv) { return kv.second.open == 0; });
}

Result<DatabasePool::Lease> DatabasePool::Acquire(std::string_view name, bool create, Pick pick) {
  CL_RETURN_IF_ERROR(CheckName(name));
  std::vector<std::unique_ptr<Connection>> doomed;  // closed after the lock is released
  {
    std::lock_guard lock(mu_);
    bool known = entries_.find(name) != entries_.end();
    CollectIdle(!known && entries_.size() >= options_.max_databases, &doomed);
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      if (entries_.size() >= options_.max_databases) {
        return Status::Unavailable("the server has " + std::to_string(options_.max_databases) +
                                   " databases open and all are in use: retry later");
      }
      it = entries_.emplace(std::string(name), Entry()).first;
    }
    Entry& e = it->second;
    if (!e.idle.empty()) return Lease(this, TakeIdleLocked(e, pick));
    if (e.open >= options_.max_connections) {
      return Status::Unavailable("all " + std::to_string(options_.max_connections) +
                                 " connections to database \"" + std::string(name) +
                                 "\" are in use: retry later");
    }
    e.open++;  // reserve the slot; the open runs without the lock
  }
  doomed.clear();
  Options options = options_.options;
  options.create_if_missing = create;
  Result<std::unique_ptr<Database>> db = Database::Open(UriOf(name), options);
  if (!db.ok()) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end() && --it->second.open == 0) entries_.erase(it);
    if (db.status().IsNotFound()) {
      return Status::NotFound("database \"" + std::string(name) +
                              "\" does not exist (the server creates databases only when told "
                              "to: serve --create)");
    }
    return db.status();
  }
  auto c = std::make_unique<Connection>();
  c->name = std::string(name);
  c->db = std::move(db).value();
  InstallGuard(*c->db, &c->guard);
  return Lease(this, std::move(c));
}

std::optional<DatabasePool::Lease> DatabasePool::TryIdle(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.idle.empty()) return std::nullopt;
  return Lease(this, TakeIdleLocked(it->second, Pick::kLastReturned));
}

std::unique_ptr<DatabasePool::Connection> DatabasePool::TakeIdleLocked(Entry& e, Pick pick) {
  auto chosen = e.idle.end() - 1;
  if (pick == Pick::kFreshest) {
    for (auto it = e.idle.begin(); it != e.idle.end(); ++it) {
      if ((*it)->db->version() > (*chosen)->db->version()) chosen = it;
    }
  }
  std::unique_ptr<Connection> c = std::move(*chosen);
  e.idle.erase(chosen);
  return c;
}

void DatabasePool::Release(std::unique_ptr<Connection> c, bool parked) {
  // A connection goes back clean: no transaction, no guard state of its last user.
  if (!sqlite3_get_autocommit(c->db->handle())) {
    sqlite3_exec(c->db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  c->guard.Reset();
  std::vector<std::unique_ptr<Connection>> doomed;
  {
    std::lock_guard lock(mu_);
    c->idle_since = options_.now();
    auto it = entries_.find(c->name);
    if (it == entries_.end()) return;  // c is closed below (cannot happen: open counts it)
    auto& idle = it->second.idle;
    idle.insert(parked ? idle.begin() : idle.end(), std::move(c));
    CollectIdle(false, &doomed);
  }
}

}  // namespace cloudlite::server::sql
