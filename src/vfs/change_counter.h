// The change counter SQLite reads from page 1 (bytes 24-27) when a transaction starts: if it
// differs from the one it saw last, SQLite drops its page cache; if it is the same, SQLite keeps
// every page it cached and reads none of them through the VFS again.
//
// The VFS writes the counter into page 1 itself (sqlite_header.h, StampHeader): the version plus
// an offset kept here. The invariant, in one sentence: the counter a transaction starts under
// equals the one SQLite holds its cached pages under only if those pages are still the engine's
// pages at that version. Three rules keep it:
//  1. A version is a counter: a newer version shows a new counter, so SQLite drops pages another
//     writer changed.
//  2. A commit that fails leaves SQLite believing the counter it wrote itself (held + 1), which is
//     exactly the counter the winner's version shows: the offset jumps by half the 32-bit range,
//     the farthest any counter can be from the ones SQLite may hold, so that no run of commits
//     short of 2^31 brings it back.
//  3. A write transaction that wants its exact read set (it skipped the freshness probe and may
//     rebase) moves the counter by one, so that SQLite reads every page it uses through the VFS
//     (from the frame cache: cheap), and the VFS sees them.
#pragma once

#include <cstdint>

namespace cloudlite::vfs {

class ChangeCounter {
 public:
  // Added to half the 32-bit range after a failed commit (rule 2).
  static constexpr uint32_t kFailedCommitJump = 0x80000000u;

  // The counter SQLite sees at `version` (StampHeader keeps its low 32 bits).
  uint64_t At(uint64_t version) const { return version + offset_; }

  // A transaction starts at `version`; `exact_reads` asks for rule 3. Returns true when SQLite
  // will drop its page cache: nothing it cached before counts as read any more.
  bool StartTransaction(uint64_t version, bool exact_reads) {
    if (exact_reads && static_cast<uint32_t>(At(version)) == held_) offset_++;
    auto counter = static_cast<uint32_t>(At(version));
    if (counter == held_) return false;
    held_ = counter;
    return true;
  }

  // A commit published version + 1 from SQLite's pages: it now holds them under the counter it
  // wrote, the one it read plus one (rule 1 from SQLite's side).
  void Committed() { held_++; }

  // A commit failed and SQLite rolled back (rule 2).
  void CommitFailed() { offset_ += kFailedCommitJump; }

  // The counter SQLite holds its cached pages under.
  uint32_t held() const { return held_; }

 private:
  uint32_t offset_ = 0;
  uint32_t held_ = 0;
};

}  // namespace cloudlite::vfs
