#include "store/mem/mem_store.h"

#include <gtest/gtest.h>

#include "base/random.h"

namespace cloudlite {
namespace {

std::unique_ptr<ObjectStore> OpenOk(std::string_view text, bool create) {
  Result<Uri> uri = Uri::Parse(text);
  EXPECT_TRUE(uri.ok()) << uri.status().ToString();
  if (!uri.ok()) return nullptr;
  Result<std::unique_ptr<ObjectStore>> store = OpenMemStore(*uri, create);
  EXPECT_TRUE(store.ok()) << text << ": " << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(MemStoreTest, OpensOfOneNameShareObjects) {
  std::string name = "mem://memstore-test-" + RandomHex(6);
  std::unique_ptr<ObjectStore> a = OpenOk(name, /*create=*/true);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->PutIfAbsent("k", "from a").ok());
  std::unique_ptr<ObjectStore> b = OpenOk(name, /*create=*/false);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->Get("k"), "from a");
  EXPECT_EQ(b->PutIfAbsent("k", "from b").code(), Status::Code::kAlreadyExists);
  // The objects outlive every handle: the name is the store.
  a.reset();
  b.reset();
  std::unique_ptr<ObjectStore> c = OpenOk(name, /*create=*/false);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(*c->Get("k"), "from a");
  EXPECT_EQ(c->Describe(), name);
}

TEST(MemStoreTest, NamesAndPathsAreSeparateStores) {
  std::string base = "mem://memstore-test-" + RandomHex(6);
  std::unique_ptr<ObjectStore> x = OpenOk(base, true);
  std::unique_ptr<ObjectStore> xa = OpenOk(base + "/a", true);
  ASSERT_NE(x, nullptr);
  ASSERT_NE(xa, nullptr);
  ASSERT_TRUE(x->Put("k", "x").ok());
  EXPECT_EQ(xa->Get("k").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(xa->Describe(), base + "/a");
}

TEST(MemStoreTest, MissingNameWithoutCreateIsNotFound) {
  Result<Uri> uri = Uri::Parse("mem://memstore-never-" + RandomHex(6));
  ASSERT_TRUE(uri.ok());
  Result<std::unique_ptr<ObjectStore>> store = OpenMemStore(*uri, false);
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
}

TEST(MemStoreTest, PrivateInstancesAreIsolated) {
  MemStore a, b;
  ASSERT_TRUE(a.Put("k", "v").ok());
  EXPECT_EQ(b.Get("k").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(a.Describe(), "mem://(private)");
}

}  // namespace
}  // namespace cloudlite
