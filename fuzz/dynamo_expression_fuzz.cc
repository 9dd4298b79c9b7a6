// DynamoDB expressions (src/dynamo/expression.h) on any text, parsed as every kind and, when
// they parse, evaluated or applied on fixed items. Properties: every error is a
// ValidationException (InvalidArgument) with a message; an update's result is a valid item
// (it round-trips through the stored encoding); nothing crashes, and libFuzzer's timeout catches
// any expression whose parse or evaluation is not bounded.
#include <boost/json/parse.hpp>

#include "dynamo/expression.h"
#include "dynamo/item_codec.h"
#include "dynamo/json.h"
#include "fuzz_util.h"

using namespace cloudlite;
using namespace cloudlite::dynamo;

namespace {

Item ParseItem(std::string_view text) {
  boost::system::error_code ec;
  auto json = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec);
  auto item = ItemFromJson(json);
  FUZZ_CHECK(item.ok());
  return *item;
}

const Item& Items(int i) {
  static const Item items[2] = {
      ParseItem(R"({"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "5"}, "s": {"S": "abc"},
        "b": {"B": "AAE="}, "t": {"BOOL": true}, "z": {"NULL": true}, "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AA=="]},
        "l": {"L": [{"N": "1"}, {"S": "x"}, {"L": [{"M": {"q": {"N": "0"}}}]}]},
        "m": {"M": {"a": {"M": {"b": {"L": [{"N": "3"}]}}}, "c": {"S": ""}}}})"),
      ParseItem("{}")};
  return items[i];
}

ExpressionAttributes Attributes() {
  ExpressionAttributes a;
  a.AddName("#a", "n");
  a.AddName("#b", "m");
  a.AddName("#c", "a.b");
  a.AddName("#k", "pk");
  a.AddValue(":n", Value::N(Number::FromInt(7)));
  a.AddValue(":s", Value::S("ab"));
  a.AddValue(":b", Value::B("\x00"));
  a.AddValue(":t", Value::Bool(false));
  a.AddValue(":l", Value::L({Value::N(Number::FromInt(1))}));
  a.AddValue(":m", Value::M({}));
  a.AddValue(":ss", *Value::MakeSet(Type::kSS, {"a", "z"}));
  a.AddValue(":ns", *Value::MakeSet(Type::kNS, {"2", "9"}));
  a.AddValue(":big", Value::N(*Number::Parse("9.9999999999999999999999999999999999999E+125")));
  return a;
}

void CheckError(const Status& s) {
  FUZZ_CHECK(s.code() == Status::Code::kInvalidArgument);
  FUZZ_CHECK(!s.message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::Bytes(data, size);
  for (ExpressionKind kind : {ExpressionKind::kCondition, ExpressionKind::kFilter}) {
    ExpressionAttributes attrs = Attributes();
    Result<Condition> c = Condition::Parse(text, kind, &attrs);
    if (!c.ok()) {
      CheckError(c.status());
      continue;
    }
    (void)c->Evaluate(&Items(0));
    (void)c->Evaluate(&Items(1));
    (void)c->Evaluate(nullptr);
    (void)attrs.CheckAllUsed();
  }
  {
    ExpressionAttributes attrs = Attributes();
    Result<Update> u = Update::Parse(text, &attrs);
    if (!u.ok()) {
      CheckError(u.status());
    } else {
      for (int i = 0; i < 2; i++) {
        Result<Item> out = u->Apply(Items(i));
        if (!out.ok()) {
          CheckError(out.status());
          continue;
        }
        Result<Item> back = DecodeItem(EncodeItem(*out));
        FUZZ_CHECK(back.ok());
        FUZZ_CHECK(*back == *out);
      }
      (void)u->CheckKeyNotUpdated({"pk", "sk"});
    }
  }
  {
    ExpressionAttributes attrs = Attributes();
    Result<Projection> p = Projection::Parse(text, &attrs);
    if (!p.ok()) {
      CheckError(p.status());
    } else {
      Item projected = p->Apply(Items(0));
      FUZZ_CHECK(DecodeItem(EncodeItem(projected)).ok());
      FUZZ_CHECK(projected.size() <= Items(0).size());
    }
  }
  {
    ExpressionAttributes attrs = Attributes();
    KeySchema schema{"pk", Type::kS, std::string("sk"), Type::kN};
    Result<KeyCondition> k = KeyCondition::Parse(text, schema, &attrs);
    if (!k.ok()) {
      CheckError(k.status());
    } else {
      FUZZ_CHECK(k->hash.type == Type::kS);
      (void)k->Matches(Value::N(Number::FromInt(1)));
    }
  }
  return 0;
}
