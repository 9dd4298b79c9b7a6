#include "base/offline.h"

#include <gtest/gtest.h>

namespace cloudlite {
namespace {

TEST(OfflineScope, RemembersARefusalOnItsThreadAndNests) {
  EXPECT_FALSE(OfflineScope::Active());
  OfflineScope::NoteRefused();  // outside any scope: nothing to remember
  {
    OfflineScope outer;
    EXPECT_TRUE(OfflineScope::Active());
    EXPECT_FALSE(outer.refused());
    {
      OfflineScope inner;
      OfflineScope::NoteRefused();
      EXPECT_TRUE(inner.refused());
    }
    EXPECT_TRUE(OfflineScope::Active());
    EXPECT_TRUE(outer.refused()) << "what the inner scope refused, the outer did too";
  }
  EXPECT_FALSE(OfflineScope::Active());
  OfflineScope again;
  EXPECT_FALSE(again.refused());
}

}  // namespace
}  // namespace cloudlite
