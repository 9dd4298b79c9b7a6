#include "cli/signals.h"

#include <signal.h>

#include <array>

namespace cloudlite::cli {
namespace {

constexpr std::array kStopSignals = {SIGINT, SIGTERM, SIGHUP};

// Lock-free, so safe to touch in a signal handler.
std::atomic<bool> g_requested{false};
volatile sig_atomic_t g_signal = 0;
struct sigaction g_previous[kStopSignals.size()];

void OnStopSignal(int sig) {
  if (g_signal != 0) {
    // Asked twice: stop waiting for a clean stop.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  g_signal = sig;
  g_requested.store(true);
}

}  // namespace

StopOnSignal::StopOnSignal() {
  g_requested.store(false);
  g_signal = 0;
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  // Restart interrupted calls: the flag is polled, nothing needs waking up early.
  action.sa_flags = SA_RESTART;
  for (size_t i = 0; i < kStopSignals.size(); i++) {
    sigaction(kStopSignals[i], &action, &g_previous[i]);
    // A signal the caller ignores (nohup) stays ignored.
    if (g_previous[i].sa_handler == SIG_IGN) sigaction(kStopSignals[i], &g_previous[i], nullptr);
  }
}

StopOnSignal::~StopOnSignal() {
  for (size_t i = 0; i < kStopSignals.size(); i++) {
    sigaction(kStopSignals[i], &g_previous[i], nullptr);
  }
}

const std::atomic<bool>* StopOnSignal::requested() const { return &g_requested; }

int StopOnSignal::signal() const { return g_signal; }

}  // namespace cloudlite::cli
