// FileStore::Watch (dir_watch.h): the number changes after every change to the watched
// directory, whoever made it, and whenever the watch may have lost track of it.
#include "store/file/dir_watch.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/file/file_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace cloudlite {
namespace {

namespace fs = std::filesystem;

class DirWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::MakeTempDir("cl-dirwatch");
    ASSERT_FALSE(dir_.empty());
    root_ = dir_ + "/store";
    writer_ = Open();
    reader_ = Open();
    ASSERT_TRUE(writer_ && reader_);
  }
  void TearDown() override {
    writer_.reset();
    reader_.reset();
    test::RemoveTree(dir_);
  }
  std::unique_ptr<FileStore> Open() {
    Result<std::unique_ptr<FileStore>> store = FileStore::Open(root_, /*create=*/true);
    EXPECT_OK(store);
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // The watch's number, once it settled: equal on two calls in a row (a watch that is not
  // armed changes on every call; it arms again at most kArmRetry after a failed attempt).
  static uint64_t Settled(PrefixWatch& watch) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    uint64_t last = watch.Generation();
    while (std::chrono::steady_clock::now() < until) {
      const uint64_t now = watch.Generation();
      if (now == last) return now;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the watch never settled";
    return last;
  }

  std::string dir_;
  std::string root_;
  // Two instances on one directory, as two processes would have.
  std::unique_ptr<FileStore> writer_;
  std::unique_ptr<FileStore> reader_;
};

TEST_F(DirWatchTest, ChangesWithEveryWriteAndDeleteOfAnotherInstance) {
  ASSERT_OK(writer_->PutIfAbsent("db/log/1", "one"));
  std::shared_ptr<PrefixWatch> watch = reader_->Watch("db/log/");
  ASSERT_NE(watch, nullptr);  // ext4 or tmpfs: the test machines' file systems
  uint64_t g = Settled(*watch);
  EXPECT_EQ(watch->Generation(), g);  // nothing happened

  ASSERT_OK(writer_->PutIfAbsent("db/log/2", "two"));
  uint64_t after = watch->Generation();
  EXPECT_NE(after, g);
  EXPECT_EQ(watch->Generation(), after);

  ASSERT_OK(writer_->Put("db/log/2", "replaced"));
  EXPECT_NE(watch->Generation(), after);
  after = watch->Generation();

  const std::string one = "db/log/1";
  ASSERT_OK(writer_->Delete({&one, 1}));
  EXPECT_NE(watch->Generation(), after);
  after = watch->Generation();

  // A directory made in it is a change; what happens inside another directory, even one in
  // it, is not this watch's business.
  ASSERT_OK(writer_->PutIfAbsent("db/log/deeper/1", "d"));
  EXPECT_NE(watch->Generation(), after);
  after = watch->Generation();
  ASSERT_OK(writer_->PutIfAbsent("db/log/deeper/2", "d"));
  ASSERT_OK(writer_->PutIfAbsent("db/ckpt/1", "c"));
  EXPECT_EQ(watch->Generation(), after);
}

TEST_F(DirWatchTest, OneWatchPerDirectorySharedByItsCallers) {
  ASSERT_OK(writer_->PutIfAbsent("db/log/1", "one"));
  std::shared_ptr<PrefixWatch> a = reader_->Watch("db/log/");
  EXPECT_EQ(reader_->Watch("db/log/"), a);
  EXPECT_NE(reader_->Watch("other/log/"), a);
  EXPECT_EQ(reader_->Watch("db/log"), nullptr);  // not a directory's prefix
  EXPECT_EQ(reader_->Watch("../log/"), nullptr);
}

TEST_F(DirWatchTest, AWatchOfAMissingDirectoryChangesUntilItExists) {
  std::shared_ptr<PrefixWatch> watch = reader_->Watch("db/log/");
  ASSERT_NE(watch, nullptr);
  const uint64_t first = watch->Generation();
  EXPECT_NE(watch->Generation(), first);
  ASSERT_OK(writer_->PutIfAbsent("db/log/1", "one"));
  const uint64_t g = Settled(*watch);
  ASSERT_OK(writer_->PutIfAbsent("db/log/2", "two"));
  EXPECT_NE(watch->Generation(), g);
}

// A directory moved away, with or without the watched one inside, and another made in its
// place: the watch cannot vouch for the new one until it watches it.
TEST_F(DirWatchTest, LosesNothingWhenADirectoryOnThePathIsReplaced) {
  // The database's directory (above the watched one), then the watched one itself.
  for (const auto& [db, moved] : {std::pair{"a", "a%2F"}, std::pair{"b", "b%2F/log%2F"}}) {
    SCOPED_TRACE(moved);
    const std::string log = std::string(db) + "/log/";
    ASSERT_OK(writer_->PutIfAbsent(log + "1", "one"));
    std::shared_ptr<PrefixWatch> watch = reader_->Watch(log);
    const uint64_t g = Settled(*watch);
    fs::rename(root_ + "/" + moved, dir_ + "/moved");
    ASSERT_OK(writer_->PutIfAbsent(log + "1", "new"));  // a new directory in its place
    uint64_t after = watch->Generation();
    EXPECT_NE(after, g);
    after = Settled(*watch);
    ASSERT_OK(writer_->PutIfAbsent(log + "2", "two"));
    EXPECT_NE(watch->Generation(), after);  // the new directory is the one watched now
    fs::remove_all(dir_ + "/moved");
  }
}

// Readers on several threads share one watch while another instance writes: a write that
// began after a reader's call returned and ended before its next call began always shows.
TEST_F(DirWatchTest, ConcurrentReadersNeverMissAWrite) {
  ASSERT_OK(writer_->PutIfAbsent("db/log/0", "zero"));
  std::shared_ptr<PrefixWatch> watch = reader_->Watch("db/log/");
  Settled(*watch);
  constexpr int kWrites = 200;
  std::atomic<int> done{0};  // writes that returned
  std::atomic<int> missed{0}, checked{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; t++) {
    readers.emplace_back([&] {
      while (done.load() < kWrites) {
        const uint64_t first = watch->Generation();
        const int before = done.load();  // write before+1 may have landed before `first`...
        std::this_thread::sleep_for(std::chrono::microseconds(500 * (1 + done.load() % 5)));
        const int after = done.load();  // ...but write before+2 began after it returned
        const uint64_t second = watch->Generation();
        if (after >= before + 2) {
          checked++;
          if (second == first) missed++;
        }
      }
    });
  }
  for (int i = 1; i <= kWrites; i++) {
    ASSERT_OK(writer_->PutIfAbsent("db/log/" + std::to_string(i), "x"));
    done.store(i);
  }
  for (std::thread& t : readers) t.join();
  EXPECT_GT(checked.load(), kWrites / 10);  // enough pairs with a write between them
  EXPECT_EQ(missed.load(), 0) << checked.load() << " pairs checked";
}

// A forked child shares the process's inotify queue: reading it would take events its parent
// needs, so the child's watches never read it (and change on every call).
TEST_F(DirWatchTest, AForkedChildLeavesItsParentsEventsAlone) {
  ASSERT_OK(writer_->PutIfAbsent("db/log/1", "one"));
  std::shared_ptr<PrefixWatch> watch = reader_->Watch("db/log/");
  const uint64_t g = Settled(*watch);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!writer_->PutIfAbsent("db/log/2", "two").ok()) _exit(2);
    const uint64_t first = watch->Generation();
    _exit(watch->Generation() != first ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(watch->Generation(), g);
}

}  // namespace
}  // namespace cloudlite
