#include "engine/page_map.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace cloudlite::engine {
namespace {

// Where every page of `map` lives, as comparable text (key, offset, length, count, slot).
std::vector<std::string> Locations(const PageMap& map) {
  std::vector<std::string> out;
  for (uint32_t pgno = 1; pgno <= map.db_pages(); pgno++) {
    std::optional<FrameLocation> loc = map.Find(pgno);
    out.push_back(!loc ? "zero"
                       : *loc->key + "@" + std::to_string(loc->offset) + "+" +
                             std::to_string(loc->stored_length) + "x" +
                             std::to_string(loc->page_count) + "#" + std::to_string(loc->slot));
  }
  return out;
}

// Compact keeps where every page lives and drops what no page uses: records overwritten by later
// ones (a commit per record, each rewriting some of 40 pages, the way a log grows between
// checkpoints) leave no trace in the compacted map's export.
TEST(PageMapTest, CompactKeepsEveryPageAndDropsDeadObjects) {
  std::mt19937 rng(26);
  PageMap map;
  for (uint32_t v = 1; v <= 300; v++) {
    format::PageMapData data;
    data.objects = {"log/" + std::to_string(v)};
    const uint32_t first = 1 + rng() % 38, count = 1 + rng() % 3;
    data.frames = {{0, 100, 50 + v, count}};
    data.extents = {{first, count, 0, 0}};
    map.Apply(data, "db", "", 4096, 40, /*replace=*/false);
  }
  const std::vector<std::string> before = Locations(map);
  const format::PageMapData exported = map.Export("db");
  EXPECT_EQ(map.object_count(), 300u);  // fewer frames than 1,024: never compacted by itself
  map.Compact();
  EXPECT_EQ(Locations(map), before);
  EXPECT_EQ(map.Export("db").objects, exported.objects);
  EXPECT_EQ(map.object_count(), exported.objects.size());  // only the live records
  // The compacted map keeps working: a later record overlays it.
  format::PageMapData next;
  next.objects = {"log/301"};
  next.frames = {{0, 0, 10, 1}};
  next.extents = {{7, 1, 0, 0}};
  map.Apply(next, "db", "", 4096, 40, /*replace=*/false);
  ASSERT_TRUE(map.Find(7).has_value());
  EXPECT_EQ(*map.Find(7)->key, "db/log/301");
}

}  // namespace
}  // namespace cloudlite::engine
