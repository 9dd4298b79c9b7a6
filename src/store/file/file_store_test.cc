// FileStore behaviour beyond the conformance suite: on-disk layout, processes, links, leftovers
// and file-system errors.
#include "store/file/file_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Every name under `dir`, relative to it, sorted.
std::set<std::string> Tree(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    names.insert(fs::relative(entry.path(), dir).string());
  }
  return names;
}

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::MakeTempDir("cl-filestore");
    ASSERT_FALSE(dir_.empty());
    root_ = dir_ + "/store";
    store_ = Open(true);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    test::RemoveTree(dir_);
  }

  std::unique_ptr<FileStore> Open(bool create) {
    Result<std::unique_ptr<FileStore>> store = FileStore::Open(root_, create);
    EXPECT_OK(store);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::vector<std::string> ListAllOk(std::string_view prefix = {}) {
    Result<std::vector<std::string>> keys = ListAll(*store_, prefix);
    EXPECT_OK(keys);
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  std::string dir_;   // scratch space for the test
  std::string root_;  // the store, inside dir_
  std::unique_ptr<FileStore> store_;
};

TEST_F(FileStoreTest, OpenMissingAndCreate) {
  Result<std::unique_ptr<FileStore>> missing = FileStore::Open(dir_ + "/no/such", false);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "store directory " + dir_ + "/no/such does not exist");
  Result<std::unique_ptr<FileStore>> made = FileStore::Open(dir_ + "/new/nested/", true);
  ASSERT_OK(made);
  EXPECT_EQ((*made)->Describe(), "file://" + dir_ + "/new/nested");
  EXPECT_TRUE(fs::is_directory(dir_ + "/new/nested"));

  WriteFile(dir_ + "/plain", "x");
  EXPECT_EQ(FileStore::Open(dir_ + "/plain", false).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(FileStore::Open(dir_ + "/plain/sub", true).ok());
  EXPECT_EQ(FileStore::Open("relative/dir", true).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(FileStoreTest, OnDiskLayout) {
  // The layout is a format: other tools and older versions read it.
  ASSERT_TRUE(store_->Put("db/log/00000000000000000001", "r1").ok());
  ASSERT_TRUE(store_->Put("a/b", "ab").ok());
  ASSERT_TRUE(store_->Put("a/b/c", "abc").ok());
  ASSERT_TRUE(store_->Put(".hidden/%x", "h").ok());
  EXPECT_EQ(ReadFile(root_ + "/db%2F/log%2F/00000000000000000001"), "r1");
  EXPECT_EQ(ReadFile(root_ + "/a%2F/b"), "ab");
  EXPECT_EQ(ReadFile(root_ + "/a%2F/b%2F/c"), "abc");
  EXPECT_EQ(ReadFile(root_ + "/%2Ehidden%2F/%25x"), "h");
  EXPECT_EQ(FileStore::EncodeName("x.y", false), "x.y");
  EXPECT_EQ(FileStore::EncodeName(".x.", true), "%2Ex.%2F");

  // Modes: 0644 files and 0755 directories, less the umask.
  mode_t mask = umask(0);
  umask(mask);
  struct stat st;
  ASSERT_EQ(stat((root_ + "/a%2F/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);
  ASSERT_EQ(stat((root_ + "/a%2F").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755 & ~mask);
}

TEST_F(FileStoreTest, WritesLeaveNoTemporaryFiles) {
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  ASSERT_TRUE(store_->Put("d/x", "2").ok());
  ASSERT_TRUE(store_->PutIfAbsent("d/y", "1").ok());
  ASSERT_EQ(store_->PutIfAbsent("d/y", "2").code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(Tree(root_), (std::set<std::string>{"d%2F", "d%2F/x", "d%2F/y"}));
}

TEST_F(FileStoreTest, SecondInstanceSeesWrites) {
  std::unique_ptr<FileStore> other = Open(false);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->PutIfAbsent("k/1", "v").ok());
  EXPECT_EQ(*other->Get("k/1"), "v");
  EXPECT_EQ(other->PutIfAbsent("k/1", "w").code(), Status::Code::kAlreadyExists);
}

TEST_F(FileStoreTest, PutIfAbsentRaceAcrossProcesses) {
  constexpr int kChildren = 8;
  for (int round = 0; round < 5; round++) {
    std::string key = "race/log/" + std::to_string(round);
    int gate[2];
    ASSERT_EQ(pipe(gate), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < kChildren; i++) {
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        // Child: its own store, released with the others when the parent closes the gate.
        close(gate[1]);
        char c;
        while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
        }
        Result<std::unique_ptr<FileStore>> store = FileStore::Open(root_, false);
        if (!store.ok()) _exit(3);
        Status s = (*store)->PutIfAbsent(key, "child " + std::to_string(i));
        _exit(s.ok() ? 0 : s.code() == Status::Code::kAlreadyExists ? 1 : 2);
      }
      children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);
    int winners = 0, losers = 0, winner = -1;
    for (int i = 0; i < kChildren; i++) {
      int status = 0;
      ASSERT_EQ(waitpid(children[i], &status, 0), children[i]);
      ASSERT_TRUE(WIFEXITED(status));
      int code = WEXITSTATUS(status);
      EXPECT_TRUE(code == 0 || code == 1) << "child " << i << " exited " << code;
      if (code == 0) {
        winners++;
        winner = i;
      }
      if (code == 1) losers++;
    }
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(losers, kChildren - 1) << "round " << round;
    Result<std::string> got = store_->Get(key);
    ASSERT_OK(got);
    EXPECT_EQ(*got, "child " + std::to_string(winner));
  }
  EXPECT_EQ(ListAllOk("race/").size(), 5u);
  for (const std::string& name : Tree(root_)) {
    EXPECT_EQ(name.find(".cl-tmp-"), std::string::npos) << name;
  }
}

TEST_F(FileStoreTest, SymlinksDoNotLeadOutOfTheRoot) {
  std::string outside = dir_ + "/outside";
  fs::create_directory(outside);
  WriteFile(outside + "/secret", "secret");
  ASSERT_TRUE(store_->Put("a/inner", "in").ok());
  // Links under every name a key could resolve to, at the top and one level down.
  for (std::string link : {"link%2F", "link", "a%2F/link%2F"}) {
    ASSERT_EQ(symlink(outside.c_str(), (root_ + "/" + link).c_str()), 0) << link;
  }
  ASSERT_EQ(symlink((outside + "/secret").c_str(), (root_ + "/obj").c_str()), 0);
  ASSERT_EQ(symlink((outside + "/secret").c_str(), (root_ + "/a%2F/obj").c_str()), 0);

  for (std::string_view key : {"link/secret", "a/link/secret", "obj", "a/obj"}) {
    Result<std::string> got = store_->Get(key);
    EXPECT_FALSE(got.ok()) << key << " read through a link: " << *got;
    EXPECT_FALSE(store_->GetRange(key, 0, 3).ok()) << key;
    EXPECT_FALSE(store_->Head(key).ok()) << key;
  }
  // A key under a link that names nothing there is missing like any other (the stat that
  // finds nothing answers first); nothing beyond the link is ever read.
  for (std::string_view key : {"link/nothing", "a/link/nothing"}) {
    EXPECT_EQ(store_->Get(key).status().code(), Status::Code::kNotFound) << key;
  }
  Status s = store_->Get("link/secret").status();
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.ToString();

  for (std::string_view key : {"link/new", "a/link/new", "link/sub/new"}) {
    EXPECT_FALSE(store_->Put(key, "x").ok()) << key;
    EXPECT_FALSE(store_->PutIfAbsent(key, "x").ok()) << key;
  }
  const std::vector<std::string> victims = {"link/secret", "a/link/secret"};
  EXPECT_FALSE(store_->Delete(victims).ok());
  // Writing a key whose name is a link replaces the link, never the file it points to.
  EXPECT_EQ(store_->PutIfAbsent("obj", "mine").code(), Status::Code::kAlreadyExists);
  ASSERT_TRUE(store_->Put("a/obj", "mine").ok());
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/a%2F/obj").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));

  EXPECT_EQ(ListAllOk(), (std::vector<std::string>{"a/inner", "a/obj"}));
  EXPECT_TRUE(ListAllOk("link/").empty());
  EXPECT_TRUE(ListAllOk("a/link/").empty());
  EXPECT_EQ(Tree(outside), (std::set<std::string>{"secret"}));
  EXPECT_EQ(ReadFile(outside + "/secret"), "secret");
}

TEST_F(FileStoreTest, TemporaryLeftoversAreHiddenAndCleaned) {
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  const std::string old_top = root_ + "/.cl-tmp-00000000000000aa";
  const std::string old_sub = root_ + "/d%2F/.cl-tmp-00000000000000bb";
  const std::string fresh = root_ + "/d%2F/.cl-tmp-00000000000000cc";
  for (const std::string& path : {old_top, old_sub, fresh}) WriteFile(path, "partial");
  struct timeval two_hours_ago[2];
  gettimeofday(&two_hours_ago[0], nullptr);
  two_hours_ago[0].tv_sec -= 2 * 3600;
  two_hours_ago[1] = two_hours_ago[0];
  for (const std::string& path : {old_top, old_sub}) {
    ASSERT_EQ(utimes(path.c_str(), two_hours_ago), 0);
  }
  // Files cloudlite could not have written are ignored.
  WriteFile(root_ + "/README", "a canonical name: listed like any object");
  WriteFile(root_ + "/foo%41", "not canonical");
  WriteFile(root_ + "/file%2F", "a file with a directory's name");
  fs::create_directory(root_ + "/plaindir");
  WriteFile(root_ + "/plaindir/x", "in a directory without the suffix");

  EXPECT_EQ(ListAllOk(), (std::vector<std::string>{"README", "d/x"}));
  EXPECT_FALSE(fs::exists(old_top));
  EXPECT_FALSE(fs::exists(old_sub));
  EXPECT_TRUE(fs::exists(fresh)) << "a temporary file of a write in progress was removed";
  EXPECT_EQ(*store_->Get("d/x"), "1");
}

TEST_F(FileStoreTest, ListWalksOnlyThePrefixDirectory) {
  ASSERT_TRUE(store_->Put("db/log/1", "").ok());
  ASSERT_TRUE(store_->Put("db/seg/1", "").ok());
  // An unreadable sibling directory does not matter to a List of db/log/.
  ASSERT_EQ(chmod((root_ + "/db%2F/seg%2F").c_str(), 0), 0);
  EXPECT_EQ(ListAllOk("db/log/"), (std::vector<std::string>{"db/log/1"}));
  EXPECT_EQ(ListAllOk("db/l"), (std::vector<std::string>{"db/log/1"}));
  ASSERT_EQ(chmod((root_ + "/db%2F/seg%2F").c_str(), 0755), 0);
}

// Regression: listings of the root share one directory stream position through dup'ed fds;
// a second listing from the same store used to find nothing.
TEST_F(FileStoreTest, ListingTheRootAgainSeesEveryKey) {
  ASSERT_TRUE(store_->Put("shop/log/1", "a").ok());
  ASSERT_TRUE(store_->Put("todo/log/1", "b").ok());
  for (int round = 0; round < 3; round++) {
    Result<ListPage> all = store_->List("", "", 10);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->keys, (std::vector<std::string>{"shop/log/1", "todo/log/1"})) << round;
    Result<ListPage> after = store_->List("", "shop0", 10);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->keys, std::vector<std::string>{"todo/log/1"}) << round;
  }
}

TEST_F(FileStoreTest, PermissionDeniedSaysWhatToCheck) {
  if (geteuid() == 0) GTEST_SKIP() << "root bypasses file modes";
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  ASSERT_EQ(chmod(root_.c_str(), 0555), 0);
  Status s = store_->Put("new", "x");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  EXPECT_EQ(s.message(),
            "permission denied writing " + root_ + ": check the directory's owner and mode");
  s = store_->Put("e/new", "x");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  ASSERT_EQ(chmod(root_.c_str(), 0755), 0);

  ASSERT_EQ(chmod((root_ + "/d%2F/x").c_str(), 0), 0);
  s = store_->Get("d/x").status();
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  EXPECT_EQ(s.message(),
            "permission denied reading " + root_ + "/d%2F/x: check the directory's owner and mode");
}

TEST_F(FileStoreTest, NotFoundNamesTheKey) {
  Status s = store_->Get("db/log/7").status();
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "no object \"db/log/7\" in file://" + root_);
}

}  // namespace
}  // namespace cloudlite
