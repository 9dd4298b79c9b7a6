#include "store/s3/s3_protocol.h"

#include <cstdint>

#include "net/server_text.h"

namespace cloudlite::s3 {
namespace {

constexpr int kMaxDepth = 64;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameChar(char c) {
  return !IsSpace(c) && c != '>' && c != '/' && c != '=' && c != '<' && c != '"' && c != '\'' &&
         c != '?' && c != '!';
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class XmlParser {
 public:
  explicit XmlParser(std::string_view doc) : doc_(doc) {}

  Result<XmlElement> Document() {
    if (doc_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
    CL_RETURN_IF_ERROR(SkipMisc());
    if (!Peek('<')) return Error("expected the root element");
    XmlElement root;
    CL_RETURN_IF_ERROR(Element(&root, 0));
    CL_RETURN_IF_ERROR(SkipMisc());
    if (pos_ != doc_.size()) return Error("content after the root element");
    return root;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::Unavailable("malformed XML from the server at byte " + std::to_string(pos_) +
                               ": " + SafeServerText(what));
  }
  bool Peek(char c) const { return pos_ < doc_.size() && doc_[pos_] == c; }
  bool LookingAt(std::string_view s) const { return doc_.substr(pos_).starts_with(s); }
  void SkipSpace() {
    while (pos_ < doc_.size() && IsSpace(doc_[pos_])) pos_++;
  }
  Status SkipPast(std::string_view end, std::string_view what) {
    size_t at = doc_.find(end, pos_);
    if (at == std::string_view::npos)
      return Error(std::string("unterminated ") + std::string(what));
    pos_ = at + end.size();
    return Status::Ok();
  }

  // Whitespace, comments and processing instructions outside the root element.
  Status SkipMisc() {
    for (;;) {
      SkipSpace();
      if (LookingAt("<?")) {
        CL_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (LookingAt("<!--")) {
        CL_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (LookingAt("<!")) {
        return Error("DTDs are not accepted");
      } else {
        return Status::Ok();
      }
    }
  }

  Status Name(std::string* name) {
    size_t start = pos_;
    while (pos_ < doc_.size() && IsNameChar(doc_[pos_])) pos_++;
    if (pos_ == start) return Error("expected a name");
    std::string_view full = doc_.substr(start, pos_ - start);
    size_t colon = full.rfind(':');
    *name = std::string(colon == std::string_view::npos ? full : full.substr(colon + 1));
    return Status::Ok();
  }

  Status Entity(std::string* out) {
    size_t semi = doc_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return Error("bad entity");
    std::string_view ent = doc_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ent == "lt") {
      out->push_back('<');
    } else if (ent == "gt") {
      out->push_back('>');
    } else if (ent == "amp") {
      out->push_back('&');
    } else if (ent == "quot") {
      out->push_back('"');
    } else if (ent == "apos") {
      out->push_back('\'');
    } else if (ent.size() >= 2 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      if (digits.empty()) return Error("bad character reference");
      uint32_t cp = 0;
      for (char c : digits) {
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          d = c - 'A' + 10;
        } else {
          return Error("bad character reference");
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        if (cp > 0x10FFFF) return Error("character reference out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return Error("invalid character reference");
      AppendUtf8(out, cp);
    } else {
      return Error("unknown entity &" + std::string(ent) + ";");
    }
    return Status::Ok();
  }

  // At '<' of a start tag.
  Status Element(XmlElement* el, int depth) {
    if (depth >= kMaxDepth) return Error("nesting too deep");
    pos_++;  // '<'
    CL_RETURN_IF_ERROR(Name(&el->name));
    // Attributes: parsed for well-formedness, then dropped (only xmlns ever appears).
    for (;;) {
      SkipSpace();
      if (LookingAt("/>")) {
        pos_ += 2;
        return Status::Ok();
      }
      if (Peek('>')) {
        pos_++;
        break;
      }
      std::string attr;
      CL_RETURN_IF_ERROR(Name(&attr));
      SkipSpace();
      if (!Peek('=')) return Error("expected '=' after attribute name");
      pos_++;
      SkipSpace();
      if (!Peek('"') && !Peek('\'')) return Error("expected a quoted attribute value");
      char quote = doc_[pos_++];
      size_t end = doc_.find(quote, pos_);
      if (end == std::string_view::npos) return Error("unterminated attribute value");
      pos_ = end + 1;
    }
    // Content.
    for (;;) {
      if (pos_ >= doc_.size()) return Error("unterminated element <" + el->name + ">");
      char c = doc_[pos_];
      if (c == '&') {
        CL_RETURN_IF_ERROR(Entity(&el->text));
      } else if (c != '<') {
        el->text.push_back(c);
        pos_++;
      } else if (LookingAt("</")) {
        pos_ += 2;
        std::string close;
        CL_RETURN_IF_ERROR(Name(&close));
        SkipSpace();
        if (!Peek('>')) return Error("expected '>'");
        pos_++;
        if (close != el->name) return Error("</" + close + "> closes <" + el->name + ">");
        return Status::Ok();
      } else if (LookingAt("<![CDATA[")) {
        size_t start = pos_ + 9;
        size_t end = doc_.find("]]>", start);
        if (end == std::string_view::npos) return Error("unterminated CDATA");
        el->text.append(doc_.substr(start, end - start));
        pos_ = end + 3;
      } else if (LookingAt("<!--")) {
        CL_RETURN_IF_ERROR(SkipPast("-->", "comment"));
      } else if (LookingAt("<?")) {
        CL_RETURN_IF_ERROR(SkipPast("?>", "processing instruction"));
      } else if (LookingAt("<!")) {
        return Error("unexpected markup declaration");
      } else {
        el->children.emplace_back();
        CL_RETURN_IF_ERROR(Element(&el->children.back(), depth + 1));
      }
    }
  }

  std::string_view doc_;
  size_t pos_ = 0;
};

std::string_view TrimXml(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsRetryableCode(std::string_view code) {
  return code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "RequestTimeout" || code == "OperationAborted" || code == "Throttling" ||
         code == "ThrottlingException";
}

bool IsCredentialCode(std::string_view code) {
  return code == "AccessDenied" || code == "InvalidAccessKeyId" ||
         code == "SignatureDoesNotMatch" || code == "InvalidToken" || code == "ExpiredToken" ||
         code == "TokenRefreshRequired" || code == "AllAccessDisabled" ||
         code == "InvalidSecurity" || code == "AccountProblem";
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  return c == nullptr ? std::string() : c->text;
}

Result<XmlElement> ParseXml(std::string_view doc) { return XmlParser(doc).Document(); }

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Result<ListObjectsResult> ParseListObjectsV2(std::string_view xml) {
  CL_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name != "ListBucketResult") {
    return Status::Unavailable("unexpected <" + SafeServerText(root.name) +
                               "> in a ListObjectsV2 response");
  }
  ListObjectsResult out;
  for (const XmlElement& c : root.children) {
    if (c.name == "Contents") {
      const XmlElement* key = c.Child("Key");
      if (key == nullptr) return Status::Unavailable("ListObjectsV2 <Contents> without <Key>");
      out.keys.push_back(key->text);  // keys are data: never trimmed
    } else if (c.name == "IsTruncated") {
      out.truncated = TrimXml(c.text) == "true";
    } else if (c.name == "NextContinuationToken") {
      out.next_continuation_token = std::string(TrimXml(c.text));
    }
  }
  return out;
}

std::string BuildDeleteObjectsBody(const std::vector<std::string>& keys) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const std::string& key : keys) {
    body += "<Object><Key>";
    body += XmlEscape(key);
    body += "</Key></Object>";
  }
  body += "</Delete>";
  return body;
}

Result<std::vector<DeleteError>> ParseDeleteObjectsResult(std::string_view xml) {
  std::vector<DeleteError> errors;
  if (TrimXml(xml).empty()) return errors;  // some servers say nothing in quiet mode
  CL_ASSIGN_OR_RETURN(XmlElement root, ParseXml(xml));
  if (root.name == "Error") {
    return Status::Unavailable("DeleteObjects failed: " + SafeServerText(root.ChildText("Code")) +
                               ": " + SafeServerText(root.ChildText("Message")));
  }
  if (root.name != "DeleteResult") {
    return Status::Unavailable("unexpected <" + SafeServerText(root.name) +
                               "> in a DeleteObjects response");
  }
  for (const XmlElement& c : root.children) {
    if (c.name != "Error") continue;
    errors.push_back({c.ChildText("Key"), std::string(TrimXml(c.ChildText("Code"))),
                      std::string(TrimXml(c.ChildText("Message")))});
  }
  return errors;
}

S3Error ParseError(std::string_view body) {
  S3Error err;
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok() || root->name != "Error") return err;
  err.code = std::string(TrimXml(root->ChildText("Code")));
  err.message = std::string(TrimXml(root->ChildText("Message")));
  err.region = std::string(TrimXml(root->ChildText("Region")));
  err.endpoint = std::string(TrimXml(root->ChildText("Endpoint")));
  return err;
}

Status ErrorStatus(const HttpResponse& response, std::string_view what, std::string_view bucket,
                   std::string_view region, const std::vector<std::string_view>& secrets) {
  const S3Error err = ParseError(response.body);
  const std::string w(what);
  const std::string b(bucket);
  // Everything from the server below is printed through SafeServerText; codes are compared raw.
  std::string detail = "HTTP " + std::to_string(response.status);
  if (!err.code.empty()) detail += " " + SafeServerText(err.code, secrets);
  if (!err.message.empty()) detail += ": " + SafeServerText(err.message, secrets);

  if (err.code == "RequestTimeTooSkewed") {
    return Status::PermissionDenied(
        w +
        ": the server rejected the request time: this machine's clock is more than 15 "
        "minutes off; fix it (e.g. enable NTP) (" +
        detail + ")");
  }
  // Any 403 is a refusal, whatever its code (InvalidObjectState, a proxy's own page...).
  if (IsCredentialCode(err.code) || response.status == 403) {
    return Status::PermissionDenied(w + ": " + detail + "; " + std::string(kCredentialsHint));
  }
  // The bucket lives in another region: S3 says so in a header or the error body.
  std::string right_region = SafeServerText(err.region, secrets, 64);
  if (const std::string* h = response.FindHeader("x-amz-bucket-region")) {
    right_region = SafeServerText(*h, secrets, 64);
  }
  if (!right_region.empty() && right_region != region &&
      (response.status == 301 || err.code == "AuthorizationHeaderMalformed" ||
       err.code == "PermanentRedirect" || err.code == "IllegalLocationConstraintException")) {
    return Status::InvalidArgument(
        w + ": bucket " + b + " is in region " + right_region + ", not " + std::string(region) +
        ": set AWS_REGION=" + right_region + " or add ?region=" + right_region + " to the URI");
  }
  if (err.code == "PermanentRedirect" || response.status == 301) {
    return Status::InvalidArgument(
        w + ": bucket " + b + " must be addressed through " +
        (err.endpoint.empty() ? "another endpoint" : SafeServerText(err.endpoint, secrets)) + " (" +
        detail + ")");
  }
  if (err.code == "NoSuchBucket") return Status::NotFound("bucket " + b + " does not exist");
  if (err.code == "NoSuchKey" || (err.code.empty() && response.status == 404)) {
    return Status::NotFound(w + ": no such object");
  }
  if (IsRetryableCode(err.code) || response.status >= 500 || response.status == 429) {
    return Status::Unavailable(w + ": " + detail);
  }
  return Status::InvalidArgument(w + ": " + detail);
}

}  // namespace cloudlite::s3
