// The legacy DynamoDB parameters (src/dynamo/legacy.h) on any JSON request, translated for every
// operation. Properties: every error is a ValidationException or SerializationException with a
// message; whatever TranslateLegacy produces parses as the expression it claims to be (unless the
// translation passes the expression size or operator limits), and uses every placeholder it
// added; an update applies to a fixed item or fails with a ValidationException.
#include <boost/json/parse.hpp>

#include "dynamo/expression.h"
#include "dynamo/json.h"
#include "dynamo/legacy.h"
#include "fuzz_util.h"

using namespace cloudlite;
using namespace cloudlite::dynamo;

namespace {

void CheckError(const Status& s) {
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kNotSupported);
  FUZZ_CHECK(!s.message().empty());
}

// A translated expression may fail to parse only on the expression limits (or, for a key
// condition, on what only the schema decides).
void CheckParsed(const Status& s, bool key_condition) {
  if (s.ok()) return;
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument);
  const std::string& m = s.message();
  bool limit = m.find("Expression size has exceeded") != std::string::npos ||
               m.find("too many operators") != std::string::npos;
  FUZZ_CHECK(limit || key_condition);
}

const Item& FixedItem() {
  static const Item item = [] {
    auto json = boost::json::parse(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "5"},
        "s": {"S": "abc"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}})");
    return *ItemFromJson(json);
  }();
  return item;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  auto json = boost::json::parse(fuzz::Bytes(data, size), ec);
  if (ec || !json.is_object()) return 0;
  const KeySchema schema{"pk", Type::kS, std::string("sk"), Type::kN};
  for (const char* op :
       {"PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan", "BatchGetItem"}) {
    ExpressionAttributes attrs;
    Result<LegacyExpressions> t = TranslateLegacy(op, json.as_object(), &attrs);
    if (!t.ok()) {
      CheckError(t.status());
      continue;
    }
    bool all_parsed = true;
    auto parsed = [&](const Status& s, bool key_condition) {
      CheckParsed(s, key_condition);
      all_parsed = all_parsed && s.ok();
    };
    if (t->condition) {
      auto c = Condition::Parse(*t->condition, ExpressionKind::kCondition, &attrs);
      parsed(c.status(), false);
      if (c.ok()) (void)c->Evaluate(&FixedItem());
    }
    if (t->filter) {
      auto c = Condition::Parse(*t->filter, ExpressionKind::kFilter, &attrs);
      parsed(c.status(), false);
      if (c.ok()) (void)c->Evaluate(nullptr);
    }
    if (t->update) {
      auto u = Update::Parse(*t->update, &attrs);
      parsed(u.status(), false);
      if (u.ok()) {
        auto out = u->Apply(FixedItem());
        if (!out.ok()) CheckError(LegacyUpdateError(out.status()));
      }
    }
    if (t->projection) parsed(Projection::Parse(*t->projection, &attrs).status(), false);
    if (t->key_condition) {
      Status keys = CheckLegacyKeys(json.as_object(), schema);
      if (!keys.ok()) CheckError(keys);
      parsed(KeyCondition::Parse(*t->key_condition, schema, &attrs).status(), true);
    }
    // Every placeholder a translation adds is used by it.
    if (all_parsed) FUZZ_CHECK(attrs.CheckAllUsed().ok());
  }
  return 0;
}
