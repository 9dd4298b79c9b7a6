#include "base/offline.h"

namespace cloudlite {

namespace {
thread_local bool active = false;
thread_local bool refused_here = false;
}  // namespace

OfflineScope::OfflineScope() : outer_active_(active), outer_refused_(refused_here) {
  active = true;
  refused_here = false;
}

OfflineScope::~OfflineScope() {
  active = outer_active_;
  refused_here = outer_refused_ || refused_here;
}

bool OfflineScope::refused() const { return refused_here; }

bool OfflineScope::Active() { return active; }

void OfflineScope::NoteRefused() {
  if (active) refused_here = true;
}

}  // namespace cloudlite
