#include "cli/shell.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
// libedit's readline-compatible API uses FILE without including <cstdio> itself.
#include <editline/readline.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/sql_runner.h"
#include "fmt/format.h"

namespace cloudlite::cli {
namespace {

constexpr const char* kPrompt = "cloudlite> ";
constexpr const char* kContinuePrompt = "      ...> ";
constexpr int kHistoryLines = 1000;
// SQLite virtual machine steps between two looks at Ctrl-C: a fraction of a millisecond.
constexpr int kInterruptCheckOps = 1000;

constexpr const char* kHelp =
    "Statements end with ';' and may span lines. Each statement is its own transaction:\n"
    "a read-only one runs on the latest version, a write commits on its own (BEGIN/COMMIT\n"
    "cannot group statements here; use `cloudlite sql` to run several in one transaction).\n"
    "\n"
    ".help            this text\n"
    ".quit, .exit     leave the shell (so does Ctrl-D)\n"
    ".schema [TABLE]  the CREATE statements, of all tables or of TABLE\n"
    ".tables          the tables and views\n";

// Where the history lives; empty when there is no home directory to keep it in.
std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/.cloudlite_history";
}

// Appends one entry to a history file in libedit's format (what read_history reads): a
// "_HiStOrY_V2_" line, then one line per entry with white space, backslashes and other bytes
// that are not printable ASCII as \ooo octal (strunvis decodes them). libedit's own
// append_history(1, ...) writes the two newest entries, so it cannot be used.
void AppendHistoryFile(const std::string& path, std::string_view entry) {
  std::string line;
  for (unsigned char c : entry) {
    if (c > ' ' && c < 0x7f && c != '\\') {
      line += static_cast<char>(c);
    } else {
      line += fmt::format("\\{:03o}", c);
    }
  }
  line += '\n';
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;  // no history file is no reason to stop the shell
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size == 0) line.insert(0, "_HiStOrY_V2_\n");
  // One write with O_APPEND: concurrent shells' lines do not interleave.
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

// Ctrl-C in an interactive shell, as in sqlite3 and psql: it interrupts the statement running
// or abandons the line being typed; it never ends the shell. The handler only sets a flag;
// SQLite's progress handler (ShouldInterrupt) stops a statement while it is set. Unlike
// sqlite3_interrupt from the handler, that cannot miss a statement about to start. The flag is
// cleared when a new line is read.
volatile sig_atomic_t g_sigint = 0;

void OnSigint(int) { g_sigint = 1; }

int ShouldInterrupt(void*) { return g_sigint; }

// libedit reads keys through this. Ctrl-C ends the line with EOF: readline returns, and the
// shell drops what was typed. SIGINT is blocked except inside ppoll, so a Ctrl-C that comes
// before the wait starts is seen as well as one during it (it cannot slip in between the
// check of the flag and a blocking read).
int ReadKey(FILE* in) {
  sigset_t sigint, waiting;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, &waiting);
  sigdelset(&waiting, SIGINT);
  int key = EOF;
  while (g_sigint == 0) {
    struct pollfd input = {.fd = fileno(in), .events = POLLIN, .revents = 0};
    int ready = ::ppoll(&input, 1, nullptr, &waiting);
    if (ready < 0 && errno == EINTR) continue;
    unsigned char c;
    if (ready < 0 || ::read(fileno(in), &c, 1) != 1) break;
    key = c;
    break;
  }
  pthread_sigmask(SIG_UNBLOCK, &sigint, nullptr);
  return key;
}

// Installs OnSigint for the life of an interactive session.
class SigintHandler {
 public:
  SigintHandler() {
    struct sigaction action = {};
    action.sa_handler = OnSigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_);
  }
  ~SigintHandler() { sigaction(SIGINT, &previous_, nullptr); }
  SigintHandler(const SigintHandler&) = delete;
  SigintHandler& operator=(const SigintHandler&) = delete;

 private:
  struct sigaction previous_ = {};
};

// Returns whether Ctrl-C was pressed since the last call, and forgets it.
bool TakeSigint() {
  bool seen = g_sigint != 0;
  g_sigint = 0;
  return seen;
}

// The source of input lines: libedit on a terminal, plain stdin otherwise.
class LineReader {
 public:
  explicit LineReader(bool interactive) : interactive_(interactive) {
    if (!interactive_) return;
    history_path_ = HistoryPath();
    rl_getc_function = ReadKey;  // before libedit initializes, which using_history does
    using_history();
    stifle_history(kHistoryLines);
    if (!history_path_.empty()) read_history(history_path_.c_str());
  }
  ~LineReader() {
    if (interactive_ && !history_path_.empty()) {
      history_truncate_file(history_path_.c_str(), kHistoryLines);
    }
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  enum class Outcome { kLine, kEnd, kInterrupted };

  // Reads one line into *line. kInterrupted: Ctrl-C was pressed while typing it.
  Outcome Read(bool continuation, std::string* line) {
    if (!interactive_) {
      return std::getline(std::cin, *line) ? Outcome::kLine : Outcome::kEnd;
    }
    char* raw = readline(continuation ? kContinuePrompt : kPrompt);
    if (TakeSigint()) {
      std::free(raw);
      return Outcome::kInterrupted;
    }
    if (raw == nullptr) return Outcome::kEnd;
    line->assign(raw);
    std::free(raw);
    return Outcome::kLine;
  }

  // Adds an entry to the history, and to the history file at once, so that nothing is lost
  // to a crash or a closed terminal.
  void Remember(const std::string& entry) {
    if (!interactive_) return;
    add_history(entry.c_str());
    if (!history_path_.empty()) AppendHistoryFile(history_path_, entry);
  }

 private:
  bool interactive_;
  std::string history_path_;
};

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n;");
  return std::string(s.substr(b, e - b + 1));
}

class Shell {
 public:
  Shell(Database& db, const ShellOptions& options, bool interactive)
      : db_(db), options_(options), interactive_(interactive) {}

  int Run() {
    std::optional<SigintHandler> sigint;
    if (interactive_) {
      sigint.emplace();
      sqlite3_progress_handler(db_.handle(), kInterruptCheckOps, ShouldInterrupt, nullptr);
    }
    LineReader reader(interactive_);
    if (interactive_) {
      fmt::print("cloudlite shell on {}\nEnter \".help\" for usage hints.\n", options_.uri);
      std::fflush(stdout);
    }
    std::string buffer;
    while (!quit_) {
      std::string text;
      LineReader::Outcome outcome = reader.Read(!buffer.empty(), &text);
      if (outcome == LineReader::Outcome::kEnd) break;
      if (outcome == LineReader::Outcome::kInterrupted) {
        // As in sqlite3: drop the statement being typed and prompt again.
        buffer.clear();
        fmt::print("^C\n");
        std::fflush(stdout);
        continue;
      }
      const std::string* line = &text;
      if (buffer.empty()) {
        std::string command = Trim(*line);
        if (command.empty()) continue;
        if (command[0] == '.') {
          reader.Remember(command);
          DotCommand(command);
          continue;
        }
      }
      buffer += *line;
      buffer += '\n';
      if (sqlite3_complete(buffer.c_str()) == 0) continue;
      reader.Remember(buffer.substr(0, buffer.size() - 1));
      Execute(buffer);
      buffer.clear();
    }
    // Input ended inside a statement: run it anyway; SQLite says if it is incomplete.
    if (!quit_ && !Trim(buffer).empty()) Execute(buffer);
    if (interactive_ && !quit_) std::fputc('\n', stdout);
    return first_error_;
  }

 private:
  void Execute(std::string_view text) {
    for (const std::string& statement : SplitStatements(text)) {
      std::vector<Rows> results;
      Status status = RunInTransaction(db_, statement, &results);
      Print(results);
      if (!status.ok()) Fail(status);
      // Ctrl-C stops the rest of the line too, not only the statement that was running.
      if (g_sigint != 0) break;
    }
    TakeSigint();  // spent on what it interrupted: the next line is read as usual
  }

  void Print(const std::vector<Rows>& results) {
    fmt::print("{}", FormatResults(results, options_.json));
    std::fflush(stdout);
  }

  void Fail(const Status& status) {
    std::fflush(stdout);
    int code = ReportError(status);
    if (first_error_ == 0 && !interactive_) first_error_ = code;
  }

  // Runs a fixed read-only query for a dot-command and prints its first column, one per line.
  void ListColumn(const std::string& sql, const std::vector<Value>& params, bool add_semicolon) {
    Rows rows;
    Status status = db_.View([&](Connection& conn) -> Status {
      auto result = conn.Query(sql, params);
      if (!result.ok()) return result.status();
      rows = std::move(result).value();
      return Status::Ok();
    });
    if (!status.ok()) return Fail(status);
    for (const auto& row : rows.rows) {
      if (row.empty()) continue;
      if (const auto* text = std::get_if<std::string>(&row[0])) {
        fmt::print("{}{}\n", *text, add_semicolon ? ";" : "");
      }
    }
    std::fflush(stdout);
  }

  void DotCommand(const std::string& command) {
    std::vector<std::string> words;
    size_t pos = 0;
    while (pos < command.size()) {
      size_t start = command.find_first_not_of(" \t", pos);
      if (start == std::string::npos) break;
      size_t end = command.find_first_of(" \t", start);
      if (end == std::string::npos) end = command.size();
      words.push_back(command.substr(start, end - start));
      pos = end;
    }
    const std::string& name = words[0];
    if (name == ".quit" || name == ".exit") {
      quit_ = true;
    } else if (name == ".help") {
      fmt::print("{}", kHelp);
    } else if (name == ".tables") {
      ListColumn(
          "SELECT name FROM sqlite_schema WHERE type IN ('table','view') "
          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
          {}, false);
    } else if (name == ".schema") {
      if (words.size() > 1) {
        ListColumn(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND tbl_name = ?1 "
            "ORDER BY rowid",
            {words[1]}, true);
      } else {
        ListColumn(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
            {}, true);
      }
    } else {
      Fail(Status::InvalidArgument(
          fmt::format("unknown command {}; enter \".help\" for the list", name)));
    }
  }

  Database& db_;
  const ShellOptions& options_;
  const bool interactive_;
  bool quit_ = false;
  int first_error_ = 0;
};

}  // namespace

int RunShell(Database& db, const ShellOptions& options) {
  Shell shell(db, options, isatty(STDIN_FILENO) == 1);
  return shell.Run();
}

}  // namespace cloudlite::cli
