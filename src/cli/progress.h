// A one-line progress bar for push and pull, drawn on stderr only when it is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "cloudlite/admin.h"

namespace cloudlite::cli {

// "push  45% [#########           ] 12.3 MiB / 27.0 MiB  4.5 MiB/s", redrawn in place at most
// ten times a second. Silent when stderr is not a terminal (logs and pipes get no \r noise).
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // calls Finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // The callback to hand to Push/Pull; valid while this object lives.
  Progress callback();
  // Draws the final state and ends the line, so that later output starts on a fresh line.
  void Finish();

 private:
  void Update(uint64_t done, uint64_t total);
  void Draw();

  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// 1536 -> "1.5 KiB".
std::string HumanBytes(double bytes);

}  // namespace cloudlite::cli
