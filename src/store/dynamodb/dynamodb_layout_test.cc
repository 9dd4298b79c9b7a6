// The key -> item mapping: the code is alphabetic and prefix-free, walking the trie in range-key
// order gives bytewise key order, no two keys share an item, and RangeOf() finds exactly the
// keys with a prefix.
#include "store/dynamodb/dynamodb_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace cloudlite::ddb {
namespace {

std::string Bits(Codeword w) {
  std::string s;
  for (int i = w.length - 1; i >= 0; i--) s.push_back((w.bits >> i) & 1 ? '1' : '0');
  return s;
}

TEST(DynamoDbLayout, CodeIsAlphabeticAndPrefixFree) {
  for (int a = 0; a < kSymbols; a++) {
    for (int b = a + 1; b < kSymbols; b++) {
      const std::string x = Bits(CodeFor(a)), y = Bits(CodeFor(b));
      EXPECT_LT(x, y) << a << " " << b;
      EXPECT_FALSE(y.starts_with(x)) << a << " is a prefix of " << b;
    }
  }
  EXPECT_EQ(CodeFor('5' - 0x1f).length, 5);
  EXPECT_EQ(CodeFor('q' - 0x1f).length, 7);
  EXPECT_EQ(CodeFor('/' - 0x1f).length, 8);
}

TEST(DynamoDbLayout, VersionKeysAreOnePieceInTheirDirectory) {
  const std::string v = "00000000000000000042";
  std::vector<Step> path = PathTo("db/log/" + v);
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path[0].node, "cloudlite/n/");
  EXPECT_EQ(path[0].kind, EntryKind::kDirectory);
  EXPECT_EQ(path[0].child, "cloudlite/n/db/");
  EXPECT_EQ(path[1].node, "cloudlite/n/db/");
  EXPECT_EQ(path[1].child, "cloudlite/n/db/log/");
  EXPECT_EQ(path[2].node, "cloudlite/n/db/log/");
  EXPECT_EQ(path[2].kind, EntryKind::kObject);
  EXPECT_EQ(EncodeBits(v, true).size(), 107u);  // 20 digits of 5 bits, END of 7
  // Consecutive versions: consecutive order, same partition.
  EXPECT_LT(path[2].range, PathTo("db/log/00000000000000000043").back().range);
  EXPECT_EQ(PathTo("db/log/99999999999999999999").size(), 3u);
  // A segment name (37 characters) needs continuations; still ordered.
  std::vector<Step> seg = PathTo("db/seg/00000000000000000042-0123456789abcdef");
  EXPECT_GT(seg.size(), 3u);
  EXPECT_EQ(seg[2].kind, EntryKind::kContinuation);
}

TEST(DynamoDbLayout, RangeTextIsDecimal) {
  EXPECT_EQ(RangeText(0), "0");
  EXPECT_EQ(RangeText(1234567890123ULL), "1234567890123");
  EXPECT_EQ(RangeText(kMaxRange), "85070591730234615865843651857942052863");  // 38 digits
}

// The order a depth-first walk in range-key order visits keys in: compare paths step by step.
bool WalkLess(const std::string& a, const std::string& b) {
  std::vector<Step> pa = PathTo(a), pb = PathTo(b);
  for (size_t i = 0; i < std::min(pa.size(), pb.size()); i++) {
    EXPECT_EQ(pa[i].node, pb[i].node);  // equal so far, so the same node
    if (pa[i].range != pb[i].range) return pa[i].range < pb[i].range;
    // Same entry: it leads to the same place.
    EXPECT_EQ(pa[i].kind, pb[i].kind) << a << " / " << b;
    EXPECT_EQ(pa[i].child, pb[i].child) << a << " / " << b;
  }
  EXPECT_EQ(pa.size(), pb.size()) << a << " and " << b << " share their item";
  return false;
}

std::vector<std::string> RandomKeys(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  // Few distinct characters, so that keys share long prefixes and tricky neighbours
  // ('-' < '/' < '0'), and lengths that cross the 126-bit piece boundary.
  const std::string alphabet = "-/0019azAZ~ .";
  std::set<std::string> keys;
  while (keys.size() < n) {
    std::string k;
    const size_t len = 1 + rng() % 60;
    for (size_t i = 0; i < len; i++) k.push_back(alphabet[rng() % alphabet.size()]);
    if (rng() % 4 == 0) k = std::string(20 + rng() % 30, "0123456789"[rng() % 10]) + k;
    keys.insert(k);  // not all valid ObjectStore keys: the layout takes any printable string
  }
  return {keys.begin(), keys.end()};
}

TEST(DynamoDbLayout, WalkOrderIsBytewiseOrder) {
  std::vector<std::string> keys = RandomKeys(1500, 1);
  keys.push_back(std::string(300, 'k'));
  keys.push_back(std::string(300, 'k') + "/x");
  keys.push_back(std::string(299, 'k') + "l");
  keys.push_back("a/b");
  keys.push_back("a-c");
  keys.push_back("a/b/c");
  keys.push_back("a0");
  keys.push_back("ab");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string> walked = keys;
  std::shuffle(walked.begin(), walked.end(), std::mt19937(2));
  std::stable_sort(walked.begin(), walked.end(), WalkLess);
  EXPECT_EQ(walked, keys);
}

TEST(DynamoDbLayout, EveryKeyHasItsOwnItem) {
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (const std::string& k : RandomKeys(3000, 3)) {
    const Step leaf = PathTo(k).back();
    auto [it, fresh] = seen.emplace(std::pair{leaf.node, RangeText(leaf.range)}, k);
    EXPECT_TRUE(fresh) << k << " and " << it->second;
  }
}

TEST(DynamoDbLayout, LongKeysStayWithinDynamoDbLimits) {
  // A 1024-byte key of 8-bit characters in one segment, under a 512-byte store prefix.
  const std::string key = std::string(512, '!') + "/" + std::string(1024, '#');
  for (const Step& s : PathTo(key)) {
    EXPECT_LE(s.node.size(), 2048u);
    EXPECT_LE(s.range, kMaxRange);
  }
}

// Whether the walk from RangeOf(prefix) reaches key: its path goes through `above`, then has a
// step at `node` with a range key in [lo, hi].
bool InRange(const PrefixRange& r, const std::string& key) {
  std::vector<Step> path = PathTo(key);
  if (path.size() <= r.above.size()) return false;
  for (size_t i = 0; i < r.above.size(); i++) {
    if (path[i].node != r.above[i].node || path[i].range != r.above[i].range) return false;
  }
  const Step& s = path[r.above.size()];
  return s.node == r.node && s.range >= r.lo && s.range <= r.hi;
}

TEST(DynamoDbLayout, RangeOfFindsExactlyThePrefixedKeys) {
  std::vector<std::string> keys = RandomKeys(800, 4);
  std::vector<std::string> prefixes = {"", "-", "/", "0", "00", "a/", "0/0", "~"};
  for (size_t i = 0; i < 200; i++) {
    const std::string& k = keys[(i * 7919) % keys.size()];
    prefixes.push_back(k.substr(0, i % (k.size() + 1)));
  }
  prefixes.push_back(std::string(40, '0'));
  for (const std::string& p : prefixes) {
    const PrefixRange r = RangeOf(p);
    for (const std::string& k : keys) {
      EXPECT_EQ(InRange(r, k), k.starts_with(p)) << "prefix \"" << p << "\" key \"" << k << "\"";
    }
  }
}

}  // namespace
}  // namespace cloudlite::ddb
