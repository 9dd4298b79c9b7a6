#include "store/s3/s3_store.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <utility>

#include "net/crypto.h"
#include "net/server_text.h"
#include "net/sigv4.h"
#include "store/s3/s3_protocol.h"

namespace cloudlite {
namespace {

constexpr size_t kMaxDeleteBatch = 1000;  // DeleteObjects' limit
constexpr size_t kMaxListPage = 1000;     // ListObjectsV2's limit
constexpr size_t kMaxS3Key = 1024;        // bytes, UTF-8
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool ValidBucketName(std::string_view b) {
  if (b.empty() || b.size() > 255) return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::optional<bool> ParseBool(std::string_view v) {
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return std::nullopt;
}

class S3Store final : public ObjectStore {
 public:
  S3Store(S3StoreOptions options, std::string base_url)
      : o_(std::move(options)),
        base_(std::move(base_url)),
        http_(o_.http),
        key_prefix_(o_.prefix.empty() ? "" : o_.prefix + "/"),
        describe_("s3://" + o_.bucket + (o_.prefix.empty() ? "" : "/" + o_.prefix)) {}

  Result<std::string> Get(std::string_view key) override {
    CL_RETURN_IF_ERROR(CheckKey(key));
    HttpRequest req = Request("GET", ObjectUrl(key));
    const std::string what = "GET " + Name(key);
    std::string out;
    CL_RETURN_IF_ERROR(Run(req, kEmptySha256, [&](HttpResponse& r) {
      if (r.status != 200) return Error(r, what);
      out = std::move(r.body);
      return Status::Ok();
    }));
    return out;
  }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    CL_RETURN_IF_ERROR(CheckKey(key));
    if (length == 0) {
      // Nothing to read, but a missing object must still be NotFound.
      CL_RETURN_IF_ERROR(Head(key).status());
      return std::string();
    }
    HttpRequest req = Request("GET", ObjectUrl(key));
    const uint64_t max = std::numeric_limits<int64_t>::max();
    if (offset > max) return std::string();  // beyond any object S3 can hold
    std::string range = "bytes=" + std::to_string(offset) + "-";
    if (length - 1 <= max - offset) range += std::to_string(offset + length - 1);
    req.SetHeader("Range", range);
    const std::string what = "GET " + Name(key) + " (" + range + ")";
    std::string out;
    CL_RETURN_IF_ERROR(Run(req, kEmptySha256, [&](HttpResponse& r) {
      if (r.status == 206) {
        out = std::move(r.body);
        if (out.size() > length) out.resize(length);
        return Status::Ok();
      }
      if (r.status == 200) {  // the server ignored Range: cut the slice ourselves
        out = offset >= r.body.size()
                  ? std::string()
                  : r.body.substr(offset, std::min<uint64_t>(length, r.body.size() - offset));
        return Status::Ok();
      }
      if (r.status == 416) {  // InvalidRange: the offset is at or past the end
        out.clear();
        return Status::Ok();
      }
      return Error(r, what);
    }));
    return out;
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    CL_RETURN_IF_ERROR(CheckKey(key));
    HttpRequest req = Request("HEAD", ObjectUrl(key));
    const std::string what = "HEAD " + Name(key);
    ObjectInfo info;
    CL_RETURN_IF_ERROR(Run(req, kEmptySha256, [&](HttpResponse& r) {
      if (r.status != 200) return Error(r, what);
      const std::string* len = r.FindHeader("content-length");
      uint64_t size = 0;
      if (len == nullptr ||
          std::from_chars(len->data(), len->data() + len->size(), size).ec != std::errc()) {
        return Status::Unavailable(what + ": response without a valid Content-Length");
      }
      info.size = size;
      return Status::Ok();
    }));
    return info;
  }

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(CheckKey(key));
    HttpRequest req = Request("PUT", ObjectUrl(key));
    req.body = data;
    req.SetHeader("If-None-Match", "*");
    const std::string hash = Sha256Hex(data);
    const std::string what = "PUT " + Name(key) + " (if absent)";
    // Set once any attempt may have created the object without our seeing the answer: from
    // then on only a 200 is conclusive.
    bool maybe_written = false;
    Status last;
    Status s = o_.retry.Run([&](int) -> Status {
      Delivery delivery = Delivery::kNotDelivered;
      Result<HttpResponse> r = Send(req, hash, &delivery);
      if (!r.ok()) {
        if (delivery == Delivery::kPossiblyDelivered) maybe_written = true;
        return last = r.status();
      }
      if (r->status == 200) return last = Status::Ok();
      if (r->status == 412) {
        if (maybe_written) {
          return last = Status::Ambiguous(
                     what +
                     ": the object exists, and an earlier attempt whose answer was lost "
                     "may have created it");
        }
        return last = Status::AlreadyExists("object \"" + std::string(key) +
                                            "\" already exists in " + describe_);
      }
      if (r->status == 409) {  // ConditionalRequestConflict: another conditional write raced us
        return last =
                   Status::Unavailable(what + ": " + SafeServerText(s3::ParseError(r->body).code) +
                                       " (concurrent conditional write)");
      }
      if (r->status >= 500) maybe_written = true;  // the server may have failed after writing
      return last = Error(*r, what);
    });
    if (!s.ok() && maybe_written && s.code() != Status::Code::kAmbiguous) {
      return Status::Ambiguous(what +
                               ": outcome unknown: an attempt may have reached the server "
                               "without an answer; last error: " +
                               s.ToString());
    }
    return s;
  }

  Status Put(std::string_view key, std::string_view data) override {
    CL_RETURN_IF_ERROR(CheckKey(key));
    HttpRequest req = Request("PUT", ObjectUrl(key));
    req.body = data;
    const std::string hash = Sha256Hex(data);
    const std::string what = "PUT " + Name(key);
    return Run(req, hash,
               [&](HttpResponse& r) { return r.status == 200 ? Status::Ok() : Error(r, what); });
  }

  Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                        size_t limit) override {
    const std::string full_prefix = key_prefix_ + std::string(prefix);
    const std::string full_start =
        start_after.empty() ? "" : key_prefix_ + std::string(start_after);
    const size_t max_keys = std::clamp<size_t>(limit, 1, kMaxListPage);
    const std::string what = "LIST " + describe_ + "/" + std::string(prefix);
    ListPage page;
    std::string token;
    // A page may come back empty yet truncated; follow the token until keys or the end.
    for (int pages = 0;; pages++) {
      std::string query = "list-type=2&max-keys=" + std::to_string(max_keys) +
                          "&prefix=" + AwsUriEncode(full_prefix, true);
      if (!full_start.empty()) query += "&start-after=" + AwsUriEncode(full_start, true);
      if (!token.empty()) query += "&continuation-token=" + AwsUriEncode(token, true);
      HttpRequest req = Request("GET", BucketUrl(query));
      s3::ListObjectsResult result;
      CL_RETURN_IF_ERROR(Run(req, kEmptySha256, [&](HttpResponse& r) -> Status {
        if (r.status != 200) return Error(r, what);
        CL_ASSIGN_OR_RETURN(result, s3::ParseListObjectsV2(r.body));
        return Status::Ok();
      }));
      for (std::string& key : result.keys) {
        if (!key.starts_with(full_prefix) || (!full_start.empty() && key <= full_start)) {
          return Status::Unavailable(what + ": the server listed a key outside the request");
        }
        if (!page.keys.empty() &&
            key.compare(key_prefix_.size(), std::string::npos, page.keys.back()) <= 0) {
          return Status::Unavailable(what + ": the server listed keys out of order");
        }
        page.keys.push_back(key.substr(key_prefix_.size()));
      }
      if (page.keys.size() > limit) {  // limit == 0: we asked for one key only to learn `more`
        page.keys.resize(limit);
        page.more = true;
        return page;
      }
      page.more = result.truncated;
      if (!page.keys.empty() || !result.truncated) return page;
      if (result.next_continuation_token.empty() || pages > 1000) {
        return Status::Unavailable(what + ": the server reports more keys but gives no way on");
      }
      token = result.next_continuation_token;
    }
  }

  Status Delete(std::span<const std::string> keys) override {
    for (const std::string& key : keys) CL_RETURN_IF_ERROR(CheckKey(key));
    for (size_t begin = 0; begin < keys.size(); begin += kMaxDeleteBatch) {
      const size_t end = std::min(keys.size(), begin + kMaxDeleteBatch);
      std::vector<std::string> batch;
      batch.reserve(end - begin);
      for (size_t i = begin; i < end; i++) batch.push_back(key_prefix_ + keys[i]);
      CL_RETURN_IF_ERROR(DeleteBatch(batch));
    }
    return Status::Ok();
  }

  std::string Describe() const override { return describe_; }

  Result<bool> CheckAccess() override {
    CL_RETURN_IF_ERROR(CheckBucket());
    return true;
  }
  // A List that succeeds is what CheckBucket makes: the bucket exists and we may list it.
  bool ListChecksAccess() const override { return true; }

  // Fails unless the bucket exists and our credentials can list it: a one-key ListObjectsV2,
  // whose error body (unlike HEAD's) says which of the two is wrong.
  Status CheckBucket() {
    std::string query = "list-type=2&max-keys=1&prefix=" + AwsUriEncode(key_prefix_, true);
    HttpRequest req = Request("GET", BucketUrl(query));
    const std::string what = "opening " + describe_;
    Status status = Run(req, kEmptySha256, [&](HttpResponse& r) -> Status {
      if (r.status == 200) return Status::Ok();
      Status s = Error(r, what);
      if (s.IsNotFound()) {
        return Status::NotFound("bucket " + o_.bucket + " does not exist" +
                                (o_.aws.endpoint_url.empty() ? "" : " at " + o_.aws.endpoint_url));
      }
      return s;
    });
    // Transport errors name only the URL; say what we were doing.
    return status.IsRetryable() ? status.WithContext(what) : status;
  }

 private:
  // The contract's key rules, plus S3's own limit: 1024 bytes for the whole key, our prefix
  // included. Checked here so the message can say why.
  Status CheckKey(std::string_view key) const {
    CL_RETURN_IF_ERROR(ValidateKey(key));
    if (key_prefix_.size() + key.size() > kMaxS3Key) {
      return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                     " bytes is too long for " + describe_ +
                                     ": S3 limits keys to " + std::to_string(kMaxS3Key) +
                                     " bytes including the prefix \"" + key_prefix_ + "\"");
    }
    return Status::Ok();
  }

  Status DeleteBatch(const std::vector<std::string>& full_keys) {
    const std::string body = s3::BuildDeleteObjectsBody(full_keys);
    HttpRequest req = Request("POST", BucketUrl("delete="));
    req.body = body;
    req.SetHeader("Content-MD5", Md5Base64(body));
    req.SetHeader("Content-Type", "application/xml");
    const std::string hash = Sha256Hex(body);
    const std::string what =
        "DELETE " + std::to_string(full_keys.size()) + " objects from " + describe_;
    return Run(req, hash, [&](HttpResponse& r) -> Status {
      if (r.status != 200) return Error(r, what);
      CL_ASSIGN_OR_RETURN(std::vector<s3::DeleteError> errors,
                          s3::ParseDeleteObjectsResult(r.body));
      for (const s3::DeleteError& e : errors) {
        if (e.code == "NoSuchKey") continue;  // already gone: what we wanted
        // Re-use the error mapping by dressing the entry up as a response.
        HttpResponse fake;
        fake.status = e.code == "AccessDenied" ? 403 : e.code == "InternalError" ? 500 : 400;
        fake.body = "<Error><Code>" + s3::XmlEscape(e.code) + "</Code><Message>" +
                    s3::XmlEscape(e.message) + "</Message></Error>";
        const std::string_view key =
            std::string_view(e.key).substr(std::min(e.key.size(), key_prefix_.size()));
        return Error(fake, "DELETE " + Name(SafeServerText(key)));
      }
      return Status::Ok();
    });
  }

  HttpRequest Request(std::string method, std::string url) const {
    HttpRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    return req;
  }

  std::string ObjectUrl(std::string_view key) const {
    return base_ + "/" + AwsUriEncode(key_prefix_ + std::string(key), false);
  }
  // Bucket-level requests: path-style "/bucket?q", virtual-hosted "/?q".
  std::string BucketUrl(std::string_view query) const {
    std::string url = o_.path_style ? base_ : base_ + "/";
    if (!query.empty()) url += "?" + std::string(query);
    return url;
  }
  std::string Name(std::string_view key) const { return describe_ + "/" + std::string(key); }

  Status Error(const HttpResponse& r, std::string_view what) const {
    Status s = s3::ErrorStatus(r, what, o_.bucket, o_.aws.region, SecretsOf(o_.aws.credentials));
    if (s.code() == Status::Code::kPermissionDenied) {
      return Status(s.code(),
                    s.message() + " (credentials from " + o_.aws.credentials_source + ")");
    }
    return s;
  }

  // One signed attempt. Signing happens per attempt so x-amz-date stays fresh across retries.
  Result<HttpResponse> Send(HttpRequest& req, std::string_view payload_hash, Delivery* delivery) {
    SigV4Params params;
    params.service = "s3";
    params.region = o_.aws.region;
    params.payload_hash = payload_hash;
    params.content_sha256_header = true;
    CL_RETURN_IF_ERROR(SignRequest(&req, o_.aws.credentials, params).status());
    return http_.Send(req, delivery);
  }

  // Sends with retries; `on_response` turns a response into Ok or an error (Unavailable is
  // retried).
  Status Run(HttpRequest& req, std::string_view payload_hash,
             const std::function<Status(HttpResponse&)>& on_response) {
    return o_.retry.Run([&](int) -> Status {
      Result<HttpResponse> r = Send(req, payload_hash, nullptr);
      if (!r.ok()) return r.status();
      return on_response(*r);
    });
  }

  const S3StoreOptions o_;
  const std::string base_;  // scheme://host[:port][/endpoint-path][/bucket], no trailing '/'
  HttpClient http_;
  const std::string key_prefix_;  // "prefix/" or ""
  const std::string describe_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenS3StoreWithOptions(S3StoreOptions o) {
  if (!ValidBucketName(o.bucket)) {
    return Status::InvalidArgument("bad S3 bucket name \"" + o.bucket +
                                   "\": use letters, digits, '.', '-' and '_'");
  }
  if (!o.prefix.empty()) {
    Status s = ValidateKey(o.prefix);
    if (!s.ok()) {
      return Status::InvalidArgument("bad prefix in s3://" + o.bucket + "/" + o.prefix + ": " +
                                     s.message());
    }
  }
  if (o.aws.credentials.empty()) {
    return Status::PermissionDenied("no AWS credentials for s3://" + o.bucket + ": " +
                                    std::string(s3::kCredentialsHint));
  }
  if (o.aws.region.empty()) o.aws.region = "us-east-1";
  if (o.http.ca_bundle.empty()) o.http.ca_bundle = o.aws.ca_bundle;

  std::string base;
  if (!o.aws.endpoint_url.empty()) {
    Result<UrlParts> url = ParseUrl(o.aws.endpoint_url);
    if (!url.ok() || (url->scheme != "http" && url->scheme != "https") || !url->query.empty()) {
      return Status::InvalidArgument("bad S3 endpoint \"" + o.aws.endpoint_url +
                                     "\": expected http[s]://host[:port][/path]");
    }
    std::string path = url->path;
    while (path.ends_with('/')) path.pop_back();
    base = o.path_style ? url->scheme + "://" + url->HostHeader() + path + "/" + o.bucket
                        : url->scheme + "://" + o.bucket + "." + url->HostHeader() + path;
  } else {
    // Dotted bucket names do not match *.s3.amazonaws.com certificates: path-style for them.
    if (o.bucket.find('.') != std::string::npos) o.path_style = true;
    const std::string host = "s3." + o.aws.region + ".amazonaws.com";
    base = o.path_style ? "https://" + host + "/" + o.bucket : "https://" + o.bucket + "." + host;
  }

  const bool check = o.check_bucket;
  auto store = std::make_unique<S3Store>(std::move(o), std::move(base));
  if (check) CL_RETURN_IF_ERROR(store->CheckBucket());
  return std::unique_ptr<ObjectStore>(std::move(store));
}

Result<std::unique_ptr<ObjectStore>> OpenS3Store(Uri& uri, bool /*create*/) {
  S3StoreOptions o;
  o.check_bucket = false;  // OpenStore calls CheckAccess, through the request counter
  o.bucket = uri.authority;
  o.prefix = uri.path;
  const std::string endpoint = uri.TakeParam("endpoint");
  const std::string region = uri.TakeParam("region");
  const std::string path_style = uri.TakeParam("path_style");
  const std::string where = "s3://" + o.bucket + (o.prefix.empty() ? "" : "/" + o.prefix);

  Result<AwsConfig> aws = LoadAwsConfig("s3");
  if (!aws.ok()) return aws.status().WithContext("opening " + where);
  o.aws = std::move(aws).value();
  if (!endpoint.empty()) {
    o.aws.endpoint_url = endpoint;
    while (o.aws.endpoint_url.ends_with('/')) o.aws.endpoint_url.pop_back();
    o.aws.endpoint_source = "the URI";
  }
  if (!region.empty()) {
    o.aws.region = region;
    o.aws.region_source = "the URI";
  }
  o.path_style = !o.aws.endpoint_url.empty();  // custom endpoints rarely have bucket DNS names
  if (!path_style.empty()) {
    std::optional<bool> v = ParseBool(path_style);
    if (!v) {
      return Status::InvalidArgument("path_style in " + where + " must be 1 or 0, not \"" +
                                     path_style + "\"");
    }
    o.path_style = *v;
  }
  o.retry.max_attempts = o.aws.max_attempts;
  Result<std::unique_ptr<ObjectStore>> store = OpenS3StoreWithOptions(std::move(o));
  return store;
}

}  // namespace cloudlite
