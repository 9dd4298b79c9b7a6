#include "dynamo/expression.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "dynamo/errors.h"
#include "dynamo/json.h"

namespace cloudlite::dynamo {

// ---- the parse tree -------------------------------------------------------------------------

enum class Function {
  kAttributeExists,
  kAttributeNotExists,
  kAttributeType,
  kBeginsWith,
  kContains,
  kSize,
  kIfNotExists,
  kListAppend,
};
enum class NodeKind {
  kPath,
  kValue,
  kFunction,
  kCompare,
  kBetween,
  kIn,
  kAnd,
  kOr,
  kNot,
  kPlus,
  kMinus
};
enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Node {
  NodeKind kind = NodeKind::kValue;
  Path path;                            // kPath
  Value value;                          // kValue
  Function function = Function::kSize;  // kFunction
  Cmp cmp = Cmp::kEq;                   // kCompare
  std::vector<Node> children;           // operands, in order
  bool parenthesized = false;
  size_t end_token = 0;  // the token after the node, for syntax errors
};

namespace {

// ---- tokens ---------------------------------------------------------------------------------

enum class Tok {
  kName,
  kNameRef,
  kValueRef,
  kNumber,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kPlus,
  kMinus,
  kInvalid,
  kEnd,
};

struct Token {
  Tok kind;
  size_t start;
  size_t end;
};

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Every token of `text`, ending in kEnd. A character that starts no token is a kInvalid token of
// its own, which the parser reports as a syntax error.
std::vector<Token> Lex(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0, n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      i++;
      continue;
    }
    size_t start = i;
    Tok kind;
    if (std::isalpha(static_cast<unsigned char>(c))) {
      while (i < n && IsWordChar(text[i])) i++;
      kind = Tok::kName;
    } else if ((c == '#' || c == ':') && i + 1 < n && IsWordChar(text[i + 1])) {
      i++;
      while (i < n && IsWordChar(text[i])) i++;
      kind = c == '#' ? Tok::kNameRef : Tok::kValueRef;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) i++;
      kind = Tok::kNumber;
    } else {
      i++;
      char next = i < n ? text[i] : '\0';
      switch (c) {
        case '=':
          kind = Tok::kEq;
          break;
        case '<':
          kind = next == '>' ? Tok::kNe : next == '=' ? Tok::kLe : Tok::kLt;
          if (kind != Tok::kLt) i++;
          break;
        case '>':
          kind = next == '=' ? Tok::kGe : Tok::kGt;
          if (kind == Tok::kGe) i++;
          break;
        case '(':
          kind = Tok::kLParen;
          break;
        case ')':
          kind = Tok::kRParen;
          break;
        case '[':
          kind = Tok::kLBracket;
          break;
        case ']':
          kind = Tok::kRBracket;
          break;
        case ',':
          kind = Tok::kComma;
          break;
        case '.':
          kind = Tok::kDot;
          break;
        case '+':
          kind = Tok::kPlus;
          break;
        case '-':
          kind = Tok::kMinus;
          break;
        default:
          kind = Tok::kInvalid;
          break;
      }
    }
    out.push_back({kind, start, i});
  }
  out.push_back({Tok::kEnd, n, n});
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

struct FunctionInfo {
  std::string_view name;
  Function function;
  size_t arity;
  bool is_condition;  // yields true/false (else a value)
  bool update_only;   // if_not_exists, list_append
};
constexpr FunctionInfo kFunctions[] = {
    {"attribute_exists", Function::kAttributeExists, 1, true, false},
    {"attribute_not_exists", Function::kAttributeNotExists, 1, true, false},
    {"attribute_type", Function::kAttributeType, 2, true, false},
    {"begins_with", Function::kBeginsWith, 2, true, false},
    {"contains", Function::kContains, 2, true, false},
    {"size", Function::kSize, 1, false, false},
    {"if_not_exists", Function::kIfNotExists, 2, false, true},
    {"list_append", Function::kListAppend, 2, false, true},
};

const FunctionInfo& InfoOf(Function f) {
  for (const auto& info : kFunctions) {
    if (info.function == f) return info;
  }
  return kFunctions[0];
}

bool IsCondition(const Node& n) {
  switch (n.kind) {
    case NodeKind::kCompare:
    case NodeKind::kBetween:
    case NodeKind::kIn:
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot:
      return true;
    case NodeKind::kFunction:
      return InfoOf(n.function).is_condition;
    default:
      return false;
  }
}

std::string_view CmpName(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return "=";
    case Cmp::kNe:
      return "<>";
    case Cmp::kLt:
      return "<";
    case Cmp::kLe:
      return "<=";
    case Cmp::kGt:
      return ">";
    case Cmp::kGe:
      return ">=";
  }
  return "=";
}

bool IsScalarKey(Type t) { return t == Type::kS || t == Type::kN || t == Type::kB; }

// ---- the parser -----------------------------------------------------------------------------

class Parser {
 public:
  Parser(std::string_view text, ExpressionKind kind, ExpressionAttributes* attributes)
      : text_(text), kind_(kind), attributes_(attributes) {}

  // The checks every expression starts with: size, emptiness; then tokens.
  Status Start() {
    if (text_.size() > kMaxExpressionSize) {
      return Error("Expression size has exceeded the maximum allowed size; expression size: " +
                   std::to_string(text_.size()));
    }
    tokens_ = Lex(text_);
    if (tokens_.size() == 1) return Error("The expression can not be empty;");
    return Status::Ok();
  }

  Result<Node> ConditionRoot() {
    CL_ASSIGN_OR_RETURN(Node root, Or());
    if (Peek().kind != Tok::kEnd) return SyntaxError(pos_);
    CL_RETURN_IF_ERROR(RequireCondition(root));
    return root;
  }

  Result<std::vector<Path>> ProjectionPaths() {
    std::vector<Path> paths;
    do {
      CL_ASSIGN_OR_RETURN(Path p, ParsePath());
      paths.push_back(std::move(p));
    } while (Accept(Tok::kComma));
    if (Peek().kind != Tok::kEnd) return SyntaxError(pos_);
    CL_RETURN_IF_ERROR(CheckOverlaps(paths));
    return paths;
  }

  // UpdateExpression: sections, each (action, path, value).
  struct Section {
    Update::Action action;
    Path path;
    std::shared_ptr<const Node> value;
  };
  Result<std::vector<Section>> UpdateSections() {
    std::vector<Section> out;
    bool seen[4] = {false, false, false, false};
    static constexpr std::string_view kNames[] = {"SET", "REMOVE", "ADD", "DELETE"};
    while (Peek().kind != Tok::kEnd) {
      size_t at = pos_;
      int which = -1;
      if (Peek().kind == Tok::kName) {
        for (int i = 0; i < 4; i++) {
          if (EqualsIgnoreCase(Text(Peek()), kNames[i])) which = i;
        }
      }
      if (which < 0) return SyntaxError(at);
      pos_++;
      if (seen[which]) {
        return Error("The \"" + std::string(kNames[which]) +
                     "\" section can only be used once in an update expression;");
      }
      seen[which] = true;
      auto action = static_cast<Update::Action>(which);
      do {
        CL_RETURN_IF_ERROR(CountOperator());
        CL_ASSIGN_OR_RETURN(Path path, ParsePath());
        std::shared_ptr<const Node> value;
        if (action == Update::Action::kSet) {
          if (!Accept(Tok::kEq)) return SyntaxError(pos_);
          CL_ASSIGN_OR_RETURN(Node v, SetValue());
          value = std::make_shared<const Node>(std::move(v));
        } else if (action != Update::Action::kRemove) {
          if (Peek().kind != Tok::kValueRef) return SyntaxError(pos_);
          CL_ASSIGN_OR_RETURN(Node v, Primary());
          CL_RETURN_IF_ERROR(CheckAddDeleteOperand(action, v.value));
          value = std::make_shared<const Node>(std::move(v));
        }
        out.push_back({action, std::move(path), std::move(value)});
      } while (Accept(Tok::kComma));
    }
    std::vector<Path> paths;
    paths.reserve(out.size());
    for (const auto& s : out) paths.push_back(s.path);
    CL_RETURN_IF_ERROR(CheckOverlaps(paths));
    return out;
  }

  Status Error(const std::string& message) const {
    return Status::InvalidArgument("Invalid " + std::string(ExpressionName(kind_)) + ": " +
                                   message);
  }

 private:
  std::string_view Text(const Token& t) const { return text_.substr(t.start, t.end - t.start); }
  const Token& Peek() const { return tokens_[pos_]; }
  bool Accept(Tok kind) {
    if (Peek().kind != kind) return false;
    pos_++;
    return true;
  }
  bool PeekKeyword(std::string_view word) const {
    return Peek().kind == Tok::kName && EqualsIgnoreCase(Text(Peek()), word);
  }
  bool IsKeywordToken(const Token& t) const {
    if (t.kind != Tok::kName) return false;
    for (std::string_view k : {"AND", "OR", "NOT", "BETWEEN", "IN"}) {
      if (EqualsIgnoreCase(Text(t), k)) return true;
    }
    return false;
  }

  // DynamoDB's syntax error: the token, and the text from the token before it to the token
  // after it.
  Status SyntaxError(size_t at) const {
    const Token& t = tokens_[at];
    std::string token = t.kind == Tok::kEnd ? "<EOF>" : std::string(Text(t));
    size_t from = at > 0 ? tokens_[at - 1].start : t.start;
    size_t to = at + 1 < tokens_.size() ? tokens_[at + 1].end : t.end;
    return Error("Syntax error; token: \"" + token + "\", near: \"" +
                 std::string(text_.substr(from, to - from)) + "\"");
  }

  Status CountOperator() {
    if (++operators_ > kMaxOperators) {
      return Error("The expression contains too many operators; operator count: " +
                   std::to_string(operators_));
    }
    return Status::Ok();
  }

  Status Nest() {
    if (++depth_ > kMaxParentheses) {
      return Error("The expression has too many nested levels; nesting levels: " +
                   std::to_string(depth_));
    }
    return Status::Ok();
  }

  Status RequireCondition(const Node& n) const {
    if (IsCondition(n)) return Status::Ok();
    if (n.kind == NodeKind::kFunction) return NotThisWay(n.function);
    return SyntaxError(n.end_token);
  }

  Status RequireOperand(const Node& n) const {
    if (n.kind == NodeKind::kFunction && InfoOf(n.function).is_condition) {
      return NotThisWay(n.function);
    }
    if (IsCondition(n)) return SyntaxError(n.end_token);
    return Status::Ok();
  }

  Status NotThisWay(Function f) const {
    return Error("The function is not allowed to be used this way in an expression; function: " +
                 std::string(InfoOf(f).name));
  }

  // DynamoDB refuses an operator whose first operand is a path that appears again among the
  // others ("n = n", "a BETWEEN b AND a", "contains(a, a)").
  Status CheckDistinct(std::string_view op, const std::vector<Node>& operands) const {
    const Node& first = operands[0];
    if (first.kind != NodeKind::kPath || first.parenthesized) return Status::Ok();
    for (size_t i = 1; i < operands.size(); i++) {
      if (operands[i].kind == NodeKind::kPath && operands[i].path == first.path) {
        return Error(
            "The first operand must be distinct from the remaining operands for this operator or "
            "function; operator: " +
            std::string(op) + ", first operand: " + PathToString(first.path));
      }
    }
    return Status::Ok();
  }

  Status WrongOperandType(std::string_view op, std::string_view type) const {
    return Error("Incorrect operand type for operator or function; operator or function: " +
                 std::string(op) + ", operand type: " + std::string(type));
  }

  // condition := and (OR and)*
  Result<Node> Or() {
    CL_ASSIGN_OR_RETURN(Node left, And());
    while (PeekKeyword("OR")) {
      pos_++;
      CL_RETURN_IF_ERROR(CountOperator());
      CL_ASSIGN_OR_RETURN(Node right, And());
      CL_RETURN_IF_ERROR(RequireCondition(left));
      CL_RETURN_IF_ERROR(RequireCondition(right));
      left = Combine(NodeKind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  Result<Node> And() {
    CL_ASSIGN_OR_RETURN(Node left, Not());
    while (PeekKeyword("AND")) {
      pos_++;
      CL_RETURN_IF_ERROR(CountOperator());
      CL_ASSIGN_OR_RETURN(Node right, Not());
      CL_RETURN_IF_ERROR(RequireCondition(left));
      CL_RETURN_IF_ERROR(RequireCondition(right));
      left = Combine(NodeKind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  Node Combine(NodeKind kind, Node left, Node right) {
    Node n;
    n.kind = kind;
    n.children.push_back(std::move(left));
    n.children.push_back(std::move(right));
    n.end_token = pos_;
    return n;
  }

  Result<Node> Not() {
    if (!PeekKeyword("NOT")) return Comparison();
    pos_++;
    CL_RETURN_IF_ERROR(CountOperator());
    CL_RETURN_IF_ERROR(Nest());
    CL_ASSIGN_OR_RETURN(Node child, Not());
    depth_--;
    CL_RETURN_IF_ERROR(RequireCondition(child));
    Node n;
    n.kind = NodeKind::kNot;
    n.children.push_back(std::move(child));
    n.end_token = pos_;
    return n;
  }

  Result<Node> Comparison() {
    CL_ASSIGN_OR_RETURN(Node left, Primary());
    Tok t = Peek().kind;
    if (t == Tok::kEq || t == Tok::kNe || t == Tok::kLt || t == Tok::kLe || t == Tok::kGt ||
        t == Tok::kGe) {
      pos_++;
      CL_RETURN_IF_ERROR(CountOperator());
      CL_ASSIGN_OR_RETURN(Node right, Primary());
      CL_RETURN_IF_ERROR(RequireOperand(left));
      CL_RETURN_IF_ERROR(RequireOperand(right));
      Node n;
      n.kind = NodeKind::kCompare;
      n.cmp = t == Tok::kEq   ? Cmp::kEq
              : t == Tok::kNe ? Cmp::kNe
              : t == Tok::kLt ? Cmp::kLt
              : t == Tok::kLe ? Cmp::kLe
              : t == Tok::kGt ? Cmp::kGt
                              : Cmp::kGe;
      n.children = {std::move(left), std::move(right)};
      if (n.cmp != Cmp::kEq && n.cmp != Cmp::kNe) {
        for (const auto& c : n.children) {
          if (c.kind == NodeKind::kValue && !IsScalarKey(c.value.type)) {
            return WrongOperandType(CmpName(n.cmp), TypeName(c.value.type));
          }
        }
      }
      CL_RETURN_IF_ERROR(CheckDistinct(CmpName(n.cmp), n.children));
      n.end_token = pos_;
      return n;
    }
    if (PeekKeyword("BETWEEN")) {
      pos_++;
      CL_RETURN_IF_ERROR(CountOperator());
      CL_ASSIGN_OR_RETURN(Node low, Primary());
      if (!PeekKeyword("AND")) return SyntaxError(pos_);
      pos_++;
      CL_ASSIGN_OR_RETURN(Node high, Primary());
      for (const Node* c : {&left, &low, &high}) CL_RETURN_IF_ERROR(RequireOperand(*c));
      Node n;
      n.kind = NodeKind::kBetween;
      n.children = {std::move(left), std::move(low), std::move(high)};
      CL_RETURN_IF_ERROR(CheckBetween(n.children[0], n.children[1], n.children[2]));
      n.end_token = pos_;
      return n;
    }
    if (PeekKeyword("IN")) {
      pos_++;
      CL_RETURN_IF_ERROR(CountOperator());
      if (!Accept(Tok::kLParen)) return SyntaxError(pos_);
      Node n;
      n.kind = NodeKind::kIn;
      n.children.push_back(std::move(left));
      do {
        CL_ASSIGN_OR_RETURN(Node operand, Primary());
        n.children.push_back(std::move(operand));
      } while (Accept(Tok::kComma));
      if (!Accept(Tok::kRParen)) return SyntaxError(pos_);
      if (n.children.size() - 1 > kMaxInOperands) {
        return Error("The IN operator is provided with too many operands; number of operands: " +
                     std::to_string(n.children.size() - 1));
      }
      for (const auto& c : n.children) CL_RETURN_IF_ERROR(RequireOperand(c));
      CL_RETURN_IF_ERROR(CheckDistinct("IN", n.children));
      n.end_token = pos_;
      return n;
    }
    return left;
  }

  // Operand types, then distinct operands, then the bounds, in DynamoDB's order.
  Status CheckBetween(const Node& value, const Node& low, const Node& high) const {
    for (const Node* c : {&value, &low, &high}) {
      if (c->kind == NodeKind::kValue && !IsScalarKey(c->value.type)) {
        return WrongOperandType("BETWEEN", TypeName(c->value.type));
      }
    }
    CL_RETURN_IF_ERROR(CheckDistinct("BETWEEN", {value, low, high}));
    if (low.kind != NodeKind::kValue || high.kind != NodeKind::kValue) return Status::Ok();
    std::string bounds = "lower bound operand: AttributeValue: " + Describe(low.value) +
                         ", upper bound operand: AttributeValue: " + Describe(high.value);
    if (low.value.type != high.value.type) {
      return Error("The BETWEEN operator requires same data type for lower and upper bounds; " +
                   bounds);
    }
    bool ordered = low.value.type == Type::kN
                       ? Number::Compare(low.value.number(), high.value.number()) <= 0
                       : low.value.text <= high.value.text;
    if (!ordered) {
      return Error(
          "The BETWEEN operator requires upper bound to be greater than or equal to lower "
          "bound; " +
          bounds);
    }
    return Status::Ok();
  }

  // primary := '(' condition ')' | function | path | :value
  Result<Node> Primary() {
    const Token& t = Peek();
    if (t.kind == Tok::kLParen) {
      pos_++;
      CL_RETURN_IF_ERROR(Nest());
      CL_ASSIGN_OR_RETURN(Node inner, kind_ == ExpressionKind::kUpdate ? SetValue() : Or());
      depth_--;
      if (!Accept(Tok::kRParen)) return SyntaxError(pos_);
      if (inner.parenthesized && kind_ != ExpressionKind::kUpdate) {
        return Error("The expression has redundant parentheses;");
      }
      inner.parenthesized = true;
      inner.end_token = pos_;
      return inner;
    }
    if (t.kind == Tok::kName && tokens_[pos_ + 1].kind == Tok::kLParen) return Call();
    if (t.kind == Tok::kValueRef) {
      std::string_view key = Text(t);
      const Value* v = attributes_->UseValue(key);
      if (v == nullptr) {
        return Error(
            "An expression attribute value used in expression is not defined; attribute value: " +
            std::string(key));
      }
      pos_++;
      Node n;
      n.kind = NodeKind::kValue;
      n.value = *v;
      n.end_token = pos_;
      return n;
    }
    if ((t.kind == Tok::kName && !IsKeywordToken(t)) || t.kind == Tok::kNameRef) {
      Node n;
      n.kind = NodeKind::kPath;
      CL_ASSIGN_OR_RETURN(n.path, ParsePath());
      n.end_token = pos_;
      return n;
    }
    return SyntaxError(pos_);
  }

  // A function call: name '(' operands ')'.
  Result<Node> Call() {
    std::string_view name = Text(Peek());
    const FunctionInfo* info = nullptr;
    for (const auto& f : kFunctions) {
      if (f.name == name) info = &f;
    }
    if (info == nullptr) return Error("Invalid function name; function: " + std::string(name));
    bool update = kind_ == ExpressionKind::kUpdate;
    if (update && !info->update_only) {
      return Error("The function is not allowed in an update expression; function: " +
                   std::string(name));
    }
    if (!update && info->update_only) {
      return Error("The function is not allowed in a condition expression; function: " +
                   std::string(name));
    }
    pos_ += 2;  // name and '('
    CL_RETURN_IF_ERROR(CountOperator());
    CL_RETURN_IF_ERROR(Nest());
    Node n;
    n.kind = NodeKind::kFunction;
    n.function = info->function;
    if (Peek().kind != Tok::kRParen) {
      do {
        CL_ASSIGN_OR_RETURN(Node arg, update ? SetValue() : Primary());
        CL_RETURN_IF_ERROR(RequireOperand(arg));
        n.children.push_back(std::move(arg));
      } while (Accept(Tok::kComma));
    }
    if (!Accept(Tok::kRParen)) return SyntaxError(pos_);
    depth_--;
    n.end_token = pos_;
    CL_RETURN_IF_ERROR(CheckCall(*info, n));
    return n;
  }

  Status CheckCall(const FunctionInfo& info, const Node& n) const {
    if (n.children.size() != info.arity) {
      return Error("Incorrect number of operands for operator or function; operator or function: " +
                   std::string(info.name) +
                   ", number of operands: " + std::to_string(n.children.size()));
    }
    const Node& first = n.children[0];
    bool needs_path = info.function == Function::kAttributeExists ||
                      info.function == Function::kAttributeNotExists ||
                      info.function == Function::kAttributeType ||
                      info.function == Function::kSize || info.function == Function::kIfNotExists;
    if (needs_path && first.kind != NodeKind::kPath) {
      return Error("Operator or function requires a document path; operator or function: " +
                   std::string(info.name));
    }
    if (info.function == Function::kBeginsWith || info.function == Function::kContains) {
      CL_RETURN_IF_ERROR(CheckDistinct(info.name, n.children));
    }
    switch (info.function) {
      case Function::kBeginsWith:
        for (const auto& c : n.children) {
          if (c.kind == NodeKind::kValue && c.value.type != Type::kS && c.value.type != Type::kB) {
            return WrongOperandType(info.name, TypeName(c.value.type));
          }
        }
        break;
      case Function::kAttributeType: {
        const Node& t = n.children[1];
        if (t.kind != NodeKind::kValue) return WrongOperandType(info.name, "PATH");
        Type ignored;
        if (t.value.type != Type::kS) return WrongOperandType(info.name, TypeName(t.value.type));
        if (!TypeFromName(t.value.text, &ignored)) {
          return Error("Invalid attribute type name found; type: " + t.value.text +
                       ", valid types: {N,BS,L,B,NULL,M,S,SS,NS,BOOL}");
        }
        break;
      }
      case Function::kListAppend:
        for (const auto& c : n.children) {
          if (c.kind == NodeKind::kValue && c.value.type != Type::kL) {
            return WrongOperandType(info.name, TypeName(c.value.type));
          }
        }
        break;
      default:
        break;
    }
    return Status::Ok();
  }

  // SET's right side: operand [('+' | '-') operand].
  Result<Node> SetValue() {
    CL_ASSIGN_OR_RETURN(Node left, Primary());
    Tok t = Peek().kind;
    if (t != Tok::kPlus && t != Tok::kMinus) return left;
    pos_++;
    CL_RETURN_IF_ERROR(CountOperator());
    CL_ASSIGN_OR_RETURN(Node right, Primary());
    Node n;
    n.kind = t == Tok::kPlus ? NodeKind::kPlus : NodeKind::kMinus;
    for (const Node* c : {&left, &right}) {
      if (c->kind == NodeKind::kValue && c->value.type != Type::kN) {
        return WrongOperandType(t == Tok::kPlus ? "+" : "-", TypeName(c->value.type));
      }
    }
    n.children = {std::move(left), std::move(right)};
    n.end_token = pos_;
    return n;
  }

  Status CheckAddDeleteOperand(Update::Action action, const Value& v) const {
    bool add = action == Update::Action::kAdd;
    bool ok = IsSet(v.type) || (add && v.type == Type::kN);
    if (ok) return Status::Ok();
    return Error("Incorrect operand type for operator or function; operator: " +
                 std::string(add ? "ADD" : "DELETE") +
                 ", operand type: " + std::string(LongTypeName(v.type)) + ", typeSet: " +
                 std::string(add ? "ALLOWED_FOR_ADD_OPERAND" : "ALLOWED_FOR_DELETE_OPERAND"));
  }

  // path := name ('.' name | '[' index ']')*, a name being a word or a #placeholder.
  Result<Path> ParsePath() {
    Path path;
    CL_RETURN_IF_ERROR(PathName(&path));
    while (true) {
      if (Accept(Tok::kDot)) {
        CL_RETURN_IF_ERROR(PathName(&path));
      } else if (Accept(Tok::kLBracket)) {
        const Token& t = Peek();
        if (t.kind != Tok::kNumber) return SyntaxError(pos_);
        std::string_view digits = Text(t);
        uint64_t index = 0;
        bool too_big = digits.size() > 10;
        for (char c : digits) {
          if (!too_big) index = index * 10 + static_cast<uint64_t>(c - '0');
        }
        if (too_big || index > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
          return Error("List index is not within the allowable range; index: [" +
                       std::string(digits) + "]");
        }
        pos_++;
        if (!Accept(Tok::kRBracket)) return SyntaxError(pos_);
        PathElement e;
        e.is_index = true;
        e.index = static_cast<uint32_t>(index);
        path.push_back(e);
      } else {
        break;
      }
    }
    if (path.size() > kMaxPathDepth) {
      return Error("The document path has too many nesting levels; nesting levels: " +
                   std::to_string(path.size()));
    }
    return path;
  }

  Status PathName(Path* path) {
    const Token& t = Peek();
    PathElement e;
    if (t.kind == Tok::kNameRef) {
      std::string_view key = Text(t);
      const std::string* name = attributes_->UseName(key);
      if (name == nullptr) {
        return Error(
            "An expression attribute name used in the document path is not defined; attribute "
            "name: " +
            std::string(key));
      }
      e.name = *name;
    } else if (t.kind == Tok::kName && !IsKeywordToken(t)) {
      std::string_view word = Text(t);
      if (IsReservedWord(word)) {
        return Error("Attribute name is a reserved keyword; reserved keyword: " +
                     std::string(word));
      }
      e.name = std::string(word);
    } else {
      return SyntaxError(pos_);
    }
    pos_++;
    path->push_back(std::move(e));
    return Status::Ok();
  }

  // Two paths where one is a prefix of the other overlap; two that use one step as a map
  // member and as a list element conflict.
  Status CheckOverlaps(const std::vector<Path>& paths) const {
    for (size_t j = 1; j < paths.size(); j++) {
      for (size_t i = 0; i < j; i++) {
        const Path& a = paths[i];
        const Path& b = paths[j];
        size_t n = std::min(a.size(), b.size()), k = 0;
        bool distinct = false;
        for (; k < n; k++) {
          if (a[k] == b[k]) continue;
          if (a[k].is_index != b[k].is_index) {
            return Error(
                "Two document paths conflict with each other; must remove or rewrite one of "
                "these paths; path one: " +
                PathToString(a) + ", path two: " + PathToString(b));
          }
          distinct = true;
          break;
        }
        if (!distinct) {
          return Error(
              "Two document paths overlap with each other; must remove or rewrite one of these "
              "paths; path one: " +
              PathToString(a) + ", path two: " + PathToString(b));
        }
      }
    }
    return Status::Ok();
  }

  std::string_view text_;
  ExpressionKind kind_;
  ExpressionAttributes* attributes_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int operators_ = 0;
  int depth_ = 0;
};

// ---- evaluation -----------------------------------------------------------------------------

// An operand's value: a pointer into the item or the expression, or a computed value.
struct Operand {
  const Value* ref = nullptr;
  std::optional<Value> owned;
  const Value* get() const { return owned ? &*owned : ref; }
};

int CompareSameType(const Value& a, const Value& b) {
  if (a.type == Type::kN) return Number::Compare(a.number(), b.number());
  int c = a.text.compare(b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Whether a < b, a <= b, ... holds: both present, of one type among N, S and B.
bool Ordered(const Value* a, const Value* b, Cmp op) {
  if (a == nullptr || b == nullptr || a->type != b->type || !IsScalarKey(a->type)) return false;
  int c = CompareSameType(*a, *b);
  switch (op) {
    case Cmp::kLt:
      return c < 0;
    case Cmp::kLe:
      return c <= 0;
    case Cmp::kGt:
      return c > 0;
    case Cmp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

bool Equal(const Value* a, const Value* b) { return a != nullptr && b != nullptr && *a == *b; }

Operand EvalOperand(const Node& n, const Item* item) {
  Operand o;
  switch (n.kind) {
    case NodeKind::kPath:
      o.ref = item ? Resolve(*item, n.path) : nullptr;
      break;
    case NodeKind::kValue:
      o.ref = &n.value;
      break;
    case NodeKind::kFunction: {
      if (n.function != Function::kSize) break;
      Operand arg = EvalOperand(n.children[0], item);
      const Value* v = arg.get();
      if (v == nullptr) break;
      size_t size;
      switch (v->type) {
        case Type::kS:
        case Type::kB:
          size = v->text.size();
          break;
        case Type::kSS:
        case Type::kNS:
        case Type::kBS:
          size = v->set.size();
          break;
        case Type::kL:
          size = v->list.size();
          break;
        case Type::kM:
          size = v->map.size();
          break;
        default:
          return o;
      }
      o.owned = Value::N(Number::FromInt(static_cast<int64_t>(size)));
      break;
    }
    default:
      break;
  }
  return o;
}

bool Contains(const Value& haystack, const Value& needle) {
  switch (haystack.type) {
    case Type::kS:
    case Type::kB:
      return needle.type == haystack.type && haystack.text.find(needle.text) != std::string::npos;
    case Type::kSS:
      return needle.type == Type::kS &&
             std::binary_search(haystack.set.begin(), haystack.set.end(), needle.text);
    case Type::kBS:
      return needle.type == Type::kB &&
             std::binary_search(haystack.set.begin(), haystack.set.end(), needle.text);
    case Type::kNS:
      return needle.type == Type::kN && std::binary_search(haystack.set.begin(), haystack.set.end(),
                                                           needle.text, NumberTextLess);
    case Type::kL:
      return std::find(haystack.list.begin(), haystack.list.end(), needle) != haystack.list.end();
    default:
      return false;
  }
}

bool Eval(const Node& n, const Item* item) {
  switch (n.kind) {
    case NodeKind::kAnd:
      return Eval(n.children[0], item) && Eval(n.children[1], item);
    case NodeKind::kOr:
      return Eval(n.children[0], item) || Eval(n.children[1], item);
    case NodeKind::kNot:
      return !Eval(n.children[0], item);
    case NodeKind::kCompare: {
      Operand a = EvalOperand(n.children[0], item);
      Operand b = EvalOperand(n.children[1], item);
      if (n.cmp == Cmp::kEq) return Equal(a.get(), b.get());
      if (n.cmp == Cmp::kNe) return !Equal(a.get(), b.get());
      return Ordered(a.get(), b.get(), n.cmp);
    }
    case NodeKind::kBetween: {
      Operand v = EvalOperand(n.children[0], item);
      Operand low = EvalOperand(n.children[1], item);
      Operand high = EvalOperand(n.children[2], item);
      return Ordered(v.get(), low.get(), Cmp::kGe) && Ordered(v.get(), high.get(), Cmp::kLe);
    }
    case NodeKind::kIn: {
      Operand v = EvalOperand(n.children[0], item);
      for (size_t i = 1; i < n.children.size(); i++) {
        Operand c = EvalOperand(n.children[i], item);
        if (Equal(v.get(), c.get())) return true;
      }
      return false;
    }
    case NodeKind::kFunction: {
      Operand a = EvalOperand(n.children[0], item);
      const Value* v = a.get();
      switch (n.function) {
        case Function::kAttributeExists:
          return v != nullptr;
        case Function::kAttributeNotExists:
          return v == nullptr;
        case Function::kAttributeType:
          return v != nullptr && TypeName(v->type) == n.children[1].value.text;
        case Function::kBeginsWith: {
          Operand b = EvalOperand(n.children[1], item);
          const Value* p = b.get();
          return v != nullptr && p != nullptr && v->type == p->type &&
                 (v->type == Type::kS || v->type == Type::kB) && v->text.starts_with(p->text);
        }
        case Function::kContains: {
          Operand b = EvalOperand(n.children[1], item);
          return v != nullptr && b.get() != nullptr && Contains(*v, *b.get());
        }
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

// ---- updates --------------------------------------------------------------------------------

Status WrongDataType() {
  return Status::InvalidArgument("An operand in the update expression has an incorrect data type");
}
Status InvalidPath() {
  return Status::InvalidArgument(
      "The document path provided in the update expression is invalid for update");
}

Result<Value> EvalUpdateValue(const Node& n, const Item& item) {
  switch (n.kind) {
    case NodeKind::kValue:
      return n.value;
    case NodeKind::kPath: {
      const Value* v = Resolve(item, n.path);
      if (v == nullptr) {
        return Status::InvalidArgument(
            "The provided expression refers to an attribute that does not exist in the item");
      }
      return *v;
    }
    case NodeKind::kFunction:
      if (n.function == Function::kIfNotExists) {
        const Value* v = Resolve(item, n.children[0].path);
        if (v != nullptr) return *v;
        return EvalUpdateValue(n.children[1], item);
      } else {
        CL_ASSIGN_OR_RETURN(Value a, EvalUpdateValue(n.children[0], item));
        CL_ASSIGN_OR_RETURN(Value b, EvalUpdateValue(n.children[1], item));
        if (a.type != Type::kL || b.type != Type::kL) return WrongDataType();
        for (auto& e : b.list) a.list.push_back(std::move(e));
        return a;
      }
    case NodeKind::kPlus:
    case NodeKind::kMinus: {
      CL_ASSIGN_OR_RETURN(Value a, EvalUpdateValue(n.children[0], item));
      CL_ASSIGN_OR_RETURN(Value b, EvalUpdateValue(n.children[1], item));
      if (a.type != Type::kN || b.type != Type::kN) return WrongDataType();
      CL_ASSIGN_OR_RETURN(Number r, n.kind == NodeKind::kPlus
                                        ? Number::Add(a.number(), b.number())
                                        : Number::Subtract(a.number(), b.number()));
      return Value::N(r);
    }
    default:
      return WrongDataType();
  }
}

// Set union or difference of two sets of one type.
Value SetOp(const Value& a, const Value& b, bool add) {
  Value out;
  out.type = a.type;
  auto less = [&](const std::string& x, const std::string& y) {
    return a.type == Type::kNS ? NumberTextLess(x, y) : x < y;
  };
  if (add) {
    std::set_union(a.set.begin(), a.set.end(), b.set.begin(), b.set.end(),
                   std::back_inserter(out.set), less);
  } else {
    std::set_difference(a.set.begin(), a.set.end(), b.set.begin(), b.set.end(),
                        std::back_inserter(out.set), less);
  }
  return out;
}

// The value at path[0 .. n-1) for writing, or nullptr when it is missing or not a container
// of the kind the next step needs.
Value* Parent(Item* item, const Path& path) {
  auto it = item->find(path[0].name);
  if (it == item->end()) return nullptr;
  Value* v = &it->second;
  for (size_t i = 1; i + 1 < path.size(); i++) {
    const PathElement& e = path[i];
    if (e.is_index) {
      if (v->type != Type::kL || e.index >= v->list.size()) return nullptr;
      v = &v->list[e.index];
    } else {
      if (v->type != Type::kM) return nullptr;
      auto m = v->map.find(e.name);
      if (m == v->map.end()) return nullptr;
      v = &m->second;
    }
  }
  return v;
}

Status Assign(Item* item, const Path& path, Value value) {
  if (path.size() == 1) {
    (*item)[path[0].name] = std::move(value);
    return Status::Ok();
  }
  Value* parent = Parent(item, path);
  if (parent == nullptr) return InvalidPath();
  const PathElement& last = path.back();
  if (last.is_index) {
    if (parent->type != Type::kL) return InvalidPath();
    if (last.index < parent->list.size()) {
      parent->list[last.index] = std::move(value);
    } else {
      parent->list.push_back(std::move(value));
    }
  } else {
    if (parent->type != Type::kM) return InvalidPath();
    parent->map[last.name] = std::move(value);
  }
  return Status::Ok();
}

void RemovePath(Item* item, const Path& path) {
  if (path.size() == 1) {
    item->erase(path[0].name);
    return;
  }
  Value* parent = Parent(item, path);
  if (parent == nullptr) return;
  const PathElement& last = path.back();
  if (last.is_index && parent->type == Type::kL && last.index < parent->list.size()) {
    parent->list.erase(parent->list.begin() + last.index);
  } else if (!last.is_index && parent->type == Type::kM) {
    parent->map.erase(last.name);
  }
}

// Path order with list indexes compared as numbers, so REMOVE can go from the back.
bool PathLess(const Path& a, const Path& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); i++) {
    if (a[i] == b[i]) continue;
    if (a[i].is_index && b[i].is_index) return a[i].index < b[i].index;
    return a[i].name < b[i].name;
  }
  return a.size() < b.size();
}

int Depth(const Value& v) {
  int deepest = 0;
  if (v.type == Type::kL) {
    for (const auto& e : v.list) deepest = std::max(deepest, Depth(e));
    return 1 + deepest;
  }
  if (v.type == Type::kM) {
    for (const auto& [name, e] : v.map) deepest = std::max(deepest, Depth(e));
    return 1 + deepest;
  }
  return 0;
}

// ---- projection -----------------------------------------------------------------------------

using Suffixes = std::vector<std::pair<const Path*, size_t>>;  // path, first step still to take

std::optional<Value> Project(const Value& v, const Suffixes& suffixes) {
  for (const auto& [path, at] : suffixes) {
    if (at == path->size()) return v;  // the whole value is projected
  }
  bool by_index = (*suffixes[0].first)[suffixes[0].second].is_index;
  if (by_index) {
    if (v.type != Type::kL) return std::nullopt;
    std::map<uint32_t, Suffixes> groups;
    for (const auto& [path, at] : suffixes) groups[(*path)[at].index].push_back({path, at + 1});
    Value out = Value::L({});
    for (const auto& [index, group] : groups) {
      if (index >= v.list.size()) continue;
      auto p = Project(v.list[index], group);
      if (p) out.list.push_back(std::move(*p));
    }
    if (out.list.empty()) return std::nullopt;
    return out;
  }
  if (v.type != Type::kM) return std::nullopt;
  std::map<std::string, Suffixes> groups;
  for (const auto& [path, at] : suffixes) groups[(*path)[at].name].push_back({path, at + 1});
  Value out = Value::M({});
  for (const auto& [name, group] : groups) {
    auto it = v.map.find(name);
    if (it == v.map.end()) continue;
    auto p = Project(it->second, group);
    if (p) out.map.emplace(name, std::move(*p));
  }
  if (out.map.empty()) return std::nullopt;
  return out;
}

}  // namespace

// ---- public ---------------------------------------------------------------------------------

std::string_view ExpressionName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::kCondition:
      return "ConditionExpression";
    case ExpressionKind::kFilter:
      return "FilterExpression";
    case ExpressionKind::kKeyCondition:
      return "KeyConditionExpression";
    case ExpressionKind::kUpdate:
      return "UpdateExpression";
    case ExpressionKind::kProjection:
      return "ProjectionExpression";
  }
  return "Expression";
}

std::string PathToString(const Path& path) {
  std::string out = "[";
  for (size_t i = 0; i < path.size(); i++) {
    if (i > 0) out += ", ";
    out += path[i].is_index ? "[" + std::to_string(path[i].index) + "]" : path[i].name;
  }
  return out + "]";
}

const Value* Resolve(const Item& item, const Path& path) {
  if (path.empty() || path[0].is_index) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const Value* v = &it->second;
  for (size_t i = 1; i < path.size(); i++) {
    const PathElement& e = path[i];
    if (e.is_index) {
      if (v->type != Type::kL || e.index >= v->list.size()) return nullptr;
      v = &v->list[e.index];
    } else {
      if (v->type != Type::kM) return nullptr;
      auto m = v->map.find(e.name);
      if (m == v->map.end()) return nullptr;
      v = &m->second;
    }
  }
  return v;
}

namespace {

bool ValidKey(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  return std::all_of(key.begin() + 1, key.end(), IsWordChar);
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string out = "{";
  for (size_t i = 0; i < keys.size(); i++) out += (i ? ", " : "") + keys[i];
  return out + "}";
}

}  // namespace

Result<ExpressionAttributes> ExpressionAttributes::FromJson(const boost::json::value* names,
                                                            const boost::json::value* values) {
  ExpressionAttributes out;
  if (names != nullptr && !names->is_null()) {
    if (!names->is_object()) return SerializationError("Start of list found where not expected");
    if (names->get_object().empty()) {
      return Status::InvalidArgument("ExpressionAttributeNames must not be empty");
    }
    for (const auto& [k, v] : names->get_object()) {
      std::string key(k.data(), k.size());
      if (!ValidKey(key, '#')) {
        return Status::InvalidArgument(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + key + "\"");
      }
      if (!v.is_string()) return SerializationError("NUMBER_VALUE cannot be converted to String");
      if (v.get_string().empty()) {
        return Status::InvalidArgument(
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key " + key);
      }
      out.names_[key] = std::string(v.get_string().data(), v.get_string().size());
    }
  }
  if (values != nullptr && !values->is_null()) {
    if (!values->is_object()) return SerializationError("Start of list found where not expected");
    if (values->get_object().empty()) {
      return Status::InvalidArgument("ExpressionAttributeValues must not be empty");
    }
    for (const auto& [k, v] : values->get_object()) {
      std::string key(k.data(), k.size());
      if (!ValidKey(key, ':')) {
        return Status::InvalidArgument(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + key + "\"");
      }
      auto value = ValueFromJson(v);
      if (!value.ok()) {
        if (value.status().code() != Status::Code::kInvalidArgument) return value.status();
        return Status::InvalidArgument("ExpressionAttributeValues contains invalid value: " +
                                       value.status().message() + " for key " + key);
      }
      out.values_[key] = std::move(*value);
    }
  }
  return out;
}

const std::string* ExpressionAttributes::UseName(std::string_view key) {
  auto it = names_.find(key);
  if (it == names_.end()) return nullptr;
  used_names_.insert(std::string(key));
  return &it->second;
}

const Value* ExpressionAttributes::UseValue(std::string_view key) {
  auto it = values_.find(key);
  if (it == values_.end()) return nullptr;
  used_values_.insert(std::string(key));
  return &it->second;
}

Status ExpressionAttributes::CheckAllUsed() const {
  std::vector<std::string> unused;
  for (const auto& [key, name] : names_) {
    if (!used_names_.contains(key)) unused.push_back(key);
  }
  if (!unused.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: " +
        KeyList(unused));
  }
  for (const auto& [key, value] : values_) {
    if (!used_values_.contains(key)) unused.push_back(key);
  }
  if (!unused.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: " +
        KeyList(unused));
  }
  return Status::Ok();
}

Result<Condition> Condition::Parse(std::string_view text, ExpressionKind kind,
                                   ExpressionAttributes* attributes) {
  Parser parser(text, kind, attributes);
  CL_RETURN_IF_ERROR(parser.Start());
  CL_ASSIGN_OR_RETURN(Node root, parser.ConditionRoot());
  Condition c;
  c.root_ = std::make_shared<const Node>(std::move(root));
  return c;
}

bool Condition::Evaluate(const Item* item) const { return root_ && Eval(*root_, item); }

std::vector<Path> Condition::Paths() const {
  std::vector<Path> out;
  if (!root_) return out;
  // Depth-first with an explicit stack, children pushed last-first so paths come left to right.
  std::vector<const Node*> stack{root_.get()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->kind == NodeKind::kPath) out.push_back(n->path);
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) stack.push_back(&*it);
  }
  return out;
}

Result<Update> Update::Parse(std::string_view text, ExpressionAttributes* attributes) {
  Parser parser(text, ExpressionKind::kUpdate, attributes);
  CL_RETURN_IF_ERROR(parser.Start());
  CL_ASSIGN_OR_RETURN(auto sections, parser.UpdateSections());
  Update u;
  for (auto& s : sections) u.clauses_.push_back({s.action, std::move(s.path), std::move(s.value)});
  return u;
}

Result<Item> Update::Apply(const Item& item) const {
  // Every right side is computed from the item as it was, then the writes are made.
  struct Write {
    const Path* path;
    std::optional<Value> value;  // nullopt: remove
  };
  std::vector<Write> writes;
  std::vector<const Path*> removes;
  // Every clause's path must lead into an existing map or list, REMOVE's too; DynamoDB checks
  // that before it evaluates any operand (found by the server's differential test).
  for (const auto& c : clauses_) {
    if (c.path.size() < 2) continue;
    const Value* parent = Resolve(item, Path(c.path.begin(), c.path.end() - 1));
    if (parent == nullptr || parent->type != (c.path.back().is_index ? Type::kL : Type::kM)) {
      return InvalidPath();
    }
  }
  for (const auto& c : clauses_) {
    switch (c.action) {
      case Action::kSet: {
        CL_ASSIGN_OR_RETURN(Value v, EvalUpdateValue(*c.value, item));
        writes.push_back({&c.path, std::move(v)});
        break;
      }
      case Action::kRemove:
        removes.push_back(&c.path);
        break;
      case Action::kAdd: {
        const Value& operand = c.value->value;
        const Value* old = Resolve(item, c.path);
        if (old == nullptr) {
          writes.push_back({&c.path, operand});
        } else if (old->type == Type::kN && operand.type == Type::kN) {
          CL_ASSIGN_OR_RETURN(Number sum, Number::Add(old->number(), operand.number()));
          writes.push_back({&c.path, Value::N(sum)});
        } else if (IsSet(old->type) && old->type == operand.type) {
          writes.push_back({&c.path, SetOp(*old, operand, true)});
        } else {
          return WrongDataType();
        }
        break;
      }
      case Action::kDelete: {
        const Value& operand = c.value->value;
        const Value* old = Resolve(item, c.path);
        if (old == nullptr) break;
        if (old->type != operand.type) return WrongDataType();
        Value rest = SetOp(*old, operand, false);
        if (rest.set.empty()) {
          removes.push_back(&c.path);
        } else {
          writes.push_back({&c.path, std::move(rest)});
        }
        break;
      }
    }
  }
  Item out = item;
  for (auto& w : writes) CL_RETURN_IF_ERROR(Assign(&out, *w.path, std::move(*w.value)));
  std::sort(removes.begin(), removes.end(),
            [](const Path* a, const Path* b) { return PathLess(*b, *a); });
  for (const Path* p : removes) RemovePath(&out, *p);
  for (const auto& [name, value] : out) {
    if (1 + Depth(value) > kMaxDepth) return Status::InvalidArgument(std::string(kNestingTooDeep));
  }
  return out;
}

std::vector<Path> Update::Targets() const {
  std::vector<Path> out;
  for (const auto& c : clauses_) out.push_back(c.path);
  return out;
}

Status Update::CheckKeyNotUpdated(const std::vector<std::string>& key_names) const {
  for (const auto& c : clauses_) {
    if (std::find(key_names.begin(), key_names.end(), c.path[0].name) != key_names.end()) {
      return Status::InvalidArgument(
          "One or more parameter values were invalid: Cannot update "
          "attribute " +
          c.path[0].name + ". This attribute is part of the key");
    }
  }
  return Status::Ok();
}

Result<Projection> Projection::Parse(std::string_view text, ExpressionAttributes* attributes) {
  Parser parser(text, ExpressionKind::kProjection, attributes);
  CL_RETURN_IF_ERROR(parser.Start());
  Projection p;
  CL_ASSIGN_OR_RETURN(p.paths_, parser.ProjectionPaths());
  return p;
}

Item Projection::Apply(const Item& item) const {
  Suffixes all;
  for (const auto& p : paths_) all.push_back({&p, 0});
  Value whole = Value::M(item);
  auto projected = Project(whole, all);
  return projected ? std::move(projected->map) : Item();
}

// ---- key conditions -------------------------------------------------------------------------

namespace {

Status KeyError(std::string message) { return Status::InvalidArgument(std::move(message)); }

void Conjuncts(const Node& n, std::vector<const Node*>* out) {
  if (n.kind == NodeKind::kAnd) {
    Conjuncts(n.children[0], out);
    Conjuncts(n.children[1], out);
  } else {
    out->push_back(&n);
  }
}

}  // namespace

Result<KeyCondition> KeyCondition::Parse(std::string_view text, const KeySchema& schema,
                                         ExpressionAttributes* attributes) {
  Parser parser(text, ExpressionKind::kKeyCondition, attributes);
  CL_RETURN_IF_ERROR(parser.Start());
  CL_ASSIGN_OR_RETURN(Node root, parser.ConditionRoot());
  std::vector<const Node*> conjuncts;
  Conjuncts(root, &conjuncts);
  KeyCondition out;
  bool have_hash = false;
  const std::string_view prefix = "Invalid operator used in KeyConditionExpression: ";
  for (const Node* c : conjuncts) {
    switch (c->kind) {
      case NodeKind::kOr:
        return KeyError(std::string(prefix) + "OR");
      case NodeKind::kNot:
        return KeyError(std::string(prefix) + "NOT");
      case NodeKind::kIn:
        return KeyError(std::string(prefix) + "IN");
      case NodeKind::kFunction:
        if (c->function != Function::kBeginsWith) {
          return KeyError(std::string(prefix) + std::string(InfoOf(c->function).name));
        }
        break;
      case NodeKind::kCompare:
        if (c->cmp == Cmp::kNe) return KeyError(std::string(prefix) + "<>");
        break;
      default:
        break;
    }
    const Node& key = c->children[0];
    if (key.kind != NodeKind::kPath) return KeyError("Query key condition not supported");
    for (size_t i = 1; i < c->children.size(); i++) {
      if (c->children[i].kind != NodeKind::kValue) {
        return KeyError("Query key condition not supported");
      }
    }
    const std::string& name = key.path[0].name;
    bool is_hash = name == schema.hash_name;
    bool is_range = schema.range_name && name == *schema.range_name;
    if (!is_hash && !is_range) {
      return KeyError("Query condition missed key schema element: " +
                      schema.range_name.value_or(schema.hash_name));
    }
    if (key.path.size() != 1) {
      return KeyError(
          "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
          "allowed: Key: " +
          name);
    }
    Type want = is_hash ? schema.hash_type : schema.range_type;
    for (size_t i = 1; i < c->children.size(); i++) {
      if (c->children[i].value.type != want) {
        return KeyError(
            "One or more parameter values were invalid: Condition parameter type does not match "
            "schema type");
      }
    }
    if (is_hash) {
      if (have_hash)
        return KeyError("KeyConditionExpressions must only contain one condition per key");
      if (c->kind != NodeKind::kCompare || c->cmp != Cmp::kEq) {
        return KeyError("Query key condition not supported");
      }
      have_hash = true;
      out.hash = c->children[1].value;
      continue;
    }
    if (out.op != Op::kNone) {
      return KeyError("KeyConditionExpressions must only contain one condition per key");
    }
    if (c->kind == NodeKind::kBetween) {
      out.op = Op::kBetween;
      out.low = c->children[1].value;
      out.high = c->children[2].value;
    } else if (c->kind == NodeKind::kFunction) {
      out.op = Op::kBeginsWith;
      out.low = c->children[1].value;
    } else {
      out.op = c->cmp == Cmp::kEq   ? Op::kEq
               : c->cmp == Cmp::kLt ? Op::kLt
               : c->cmp == Cmp::kLe ? Op::kLe
               : c->cmp == Cmp::kGt ? Op::kGt
                                    : Op::kGe;
      out.low = c->children[1].value;
    }
  }
  if (!have_hash) {
    return KeyError("Query condition missed key schema element: " + schema.hash_name);
  }
  return out;
}

bool KeyCondition::Matches(const Value& range_key) const {
  switch (op) {
    case Op::kNone:
      return true;
    case Op::kEq:
      return range_key == low;
    case Op::kLt:
      return Ordered(&range_key, &low, Cmp::kLt);
    case Op::kLe:
      return Ordered(&range_key, &low, Cmp::kLe);
    case Op::kGt:
      return Ordered(&range_key, &low, Cmp::kGt);
    case Op::kGe:
      return Ordered(&range_key, &low, Cmp::kGe);
    case Op::kBetween:
      return Ordered(&range_key, &low, Cmp::kGe) && Ordered(&range_key, &high, Cmp::kLe);
    case Op::kBeginsWith:
      return range_key.type == low.type && range_key.text.starts_with(low.text);
  }
  return false;
}

}  // namespace cloudlite::dynamo
