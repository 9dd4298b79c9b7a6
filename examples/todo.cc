// A small program on the cloudlite library: a to-do list kept in a database URI.
//
//   example_todo file:///tmp/store/todo add "buy milk"
//   example_todo file:///tmp/store/todo done 1
//   example_todo file:///tmp/store/todo list
#include <cloudlite/database.h>

#include <iostream>
#include <string>

namespace {

int Fail(const cloudlite::Status& s) {
  std::cerr << "example_todo: " << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: example_todo URI add TEXT | done ID | list\n";
    return 1;
  }
  cloudlite::Options options;
  options.migrations = {
      {1, "create todos",
       [](cloudlite::Connection& c) {
         return c.Exec(
             "CREATE TABLE todos (id INTEGER PRIMARY KEY, text TEXT NOT NULL, "
             "done INTEGER NOT NULL DEFAULT 0)");
       }},
      {2, "add created_at",
       [](cloudlite::Connection& c) {
         return c.Exec("ALTER TABLE todos ADD COLUMN created_at TEXT");
       }},
  };
  auto db = cloudlite::Database::Open(argv[1], options);
  if (!db.ok()) return Fail(db.status());

  std::string command = argv[2];
  if (command == "add" && argc == 4) {
    // The function may run more than once if another writer commits first: no side effects.
    cloudlite::Status s = (*db)->Update([&](cloudlite::Connection& c) {
      return c
          .Query("INSERT INTO todos (text, created_at) VALUES (?1, datetime('now'))",
                 {std::string(argv[3])})
          .status();
    });
    if (!s.ok()) return Fail(s);
  } else if (command == "done" && argc == 4) {
    cloudlite::Status s = (*db)->Update([&](cloudlite::Connection& c) {
      return c.Query("UPDATE todos SET done = 1 WHERE id = ?1", {int64_t{std::stoll(argv[3])}})
          .status();
    });
    if (!s.ok()) return Fail(s);
  } else if (command != "list") {
    std::cerr << "usage: example_todo URI add TEXT | done ID | list\n";
    return 1;
  }
  cloudlite::Status s = (*db)->View([](cloudlite::Connection& c) {
    auto rows = c.Query("SELECT id, done, text FROM todos ORDER BY id");
    if (!rows.ok()) return rows.status();
    for (const auto& row : rows->rows) {
      std::cout << std::get<int64_t>(row[0]) << (std::get<int64_t>(row[1]) ? " [x] " : " [ ] ")
                << std::get<std::string>(row[2]) << "\n";
    }
    return cloudlite::Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  auto info = (*db)->Info();
  if (!info.ok()) return Fail(info.status());
  std::cout << "(version " << info->version << ", " << info->pages << " pages)\n";
  return 0;
}
