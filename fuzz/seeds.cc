// Writes the seed corpus of every fuzz target, made by the real encoders, so that no binary
// seed is committed and the seeds follow the format as it changes:
//   cloudlite_fuzz_seeds DIR   ->   DIR/<target>/<name>
// Objects with a checksum are written twice: as stored (mode byte 0) and without their
// checksum (mode byte 1, "sealed": the target appends it), see fuzz_util.h.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "format/format.h"
#include "store/s3/s3_protocol.h"

using namespace cloudlite;
namespace fs = std::filesystem;

namespace {

fs::path root;

void Seed(const std::string& target, const std::string& name, std::string_view bytes) {
  fs::create_directories(root / target);
  std::ofstream out(root / target / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Both forms of a stored object whose last 8 bytes are its checksum.
void SeedStored(const std::string& target, const std::string& name, const std::string& bytes) {
  Seed(target, name, std::string(1, '\0') + bytes);
  Seed(target, name + ".sealed", std::string(1, '\1') + bytes.substr(0, bytes.size() - 8));
}

std::string Pages(uint32_t count, uint32_t page_size, char fill) {
  std::string pages(uint64_t{count} * page_size, fill);
  for (size_t i = 0; i < pages.size(); i += 97) pages[i] = static_cast<char>(i);
  return pages;
}

format::PageMapData Map(std::string object, uint64_t frame_offset, uint64_t frame_length) {
  format::PageMapData map;
  map.objects = {std::move(object), "seg/00000000000000000001-abcd"};
  map.frames = {{0, frame_offset, frame_length, 2}, {1, 20, 300, 4}};
  map.extents = {{1, 2, 0, 0}, {5, 3, 1, 1}};
  return map;
}

void Formats() {
  const std::string frame = format::EncodeFrame(Pages(2, 4096, 'a'), 3);

  format::Record record;
  record.version = 7;
  record.time_micros = 1700000000000000;
  record.db_id = std::string(16, 'd');
  record.base = 2;
  record.prev = std::string(16, 'p');
  record.writer_id = std::string(16, 'w');
  record.nonce = std::string(16, 'n');
  record.page_size = 4096;
  record.db_pages = 8;
  record.map = Map("", 0, frame.size());
  record.changeset = format::EncodeRowChanges({true, true, {"logs"}, "changeset bytes"});
  format::RecentVersion recent;
  recent.changed = {1, 2, 6};
  recent.map = Map("log/00000000000000000006", 77, frame.size());
  record.recent.db_pages = 7;
  record.recent.versions = {recent, recent};
  SeedStored("record", "inline_frames_recent", format::EncodeRecord(record, frame));
  record.map = Map("seg/00000000000000000002-ef01", 20, frame.size());
  record.recent.versions.clear();
  SeedStored("record", "segment_frames", format::EncodeRecord(record, ""));

  format::Checkpoint checkpoint;
  checkpoint.version = 64;
  checkpoint.time_micros = 1700000000000000;
  checkpoint.db_id = std::string(16, 'd');
  checkpoint.base = 1;
  checkpoint.head = std::string(16, 'h');
  checkpoint.page_size = 4096;
  checkpoint.db_pages = 8;
  checkpoint.map = Map("seg/00000000000000000064-0001", 20, frame.size());
  SeedStored("checkpoint", "two_segments", format::EncodeCheckpoint(checkpoint));

  format::Lease lease{3, std::string(16, 'o'), 1700000000000000, 1700000030000000};
  SeedStored("lease", "held", format::EncodeLease(lease));
  lease.expiry_micros = 0;
  SeedStored("lease", "released", format::EncodeLease(lease));

  format::Retention retention{2, 1700000000000000, 3600000000, 1000, 300000000};
  SeedStored("retention", "hour_or_1000", format::EncodeRetention(retention));

  std::string map;
  format::EncodePageMap(Map("", 100, 200), &map);
  Seed("page_map", "two_frames", map);

  format::SegmentBuilder builder(4096, 9, std::string(16, 'd'), "seg/00000000000000000009-abc");
  builder.Add(1, 2, frame);
  builder.Add(5, 2, format::EncodeFrame(Pages(2, 4096, 'b'), 3));
  SeedStored("segment_index", "two_frames", builder.Finish());

  // frame: mode (0 as stored, 1 sealed, 2 round trip), page-size shift, page count, frame.
  const std::string small = format::EncodeFrame(Pages(2, 512, 'c'), 3);
  Seed("frame", "stored", std::string("\x00\x00\x01", 3) + small);
  Seed("frame", "sealed", std::string("\x01\x00\x01", 3) + small.substr(8));
  Seed("frame", "round_trip", std::string("\x02\x03\x02", 3) + "page content");
}

void Servers() {
  // s3_xml: first byte picks the HTTP status.
  Seed("s3_xml", "list",
       "\x00<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
       "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p/</Prefix>"
       "<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
       "<Contents><Key>p/db/log/00000000000000000001</Key><Size>120</Size></Contents>"
       "<Contents><Key>p/a&amp;b &#x41;<![CDATA[<x>]]></Key></Contents>"
       "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
       "NextContinuationToken></ListBucketResult>");
  Seed("s3_xml", "delete_result",
       "\x00<DeleteResult><Deleted><Key>p/k</Key></Deleted><Error><Key>p/k2</Key>"
       "<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>");
  Seed("s3_xml", "signature_mismatch",
       "\x03<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
       "<Message>The request signature we calculated does not match the signature you "
       "provided.</Message><AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId><StringToSign>"
       "AWS4-HMAC-SHA256\n20240101T000000Z</StringToSign><SignatureProvided>0a1b2c"
       "</SignatureProvided><CanonicalRequest>GET\n/k\n\nhost:h\nx-amz-security-token:TOKEN\n"
       "</CanonicalRequest></Error>");
  Seed("s3_xml", "wrong_region",
       "\x02<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is "
       "wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>");
  Seed("s3_xml", "redirect",
       "\x01<Error><Code>PermanentRedirect</Code><Message>use it</Message><Endpoint>"
       "b.s3-eu-west-1.amazonaws.com</Endpoint></Error>");
  Seed("s3_xml", "slow_down", "\x0a<Error><Code>SlowDown</Code><Message>slow</Message></Error>");

  // dynamodb_item: first byte picks the HTTP status.
  Seed("dynamodb_item", "inline_head",
       "\x00{\"Item\":{\"hash_key\":{\"S\":\"cloudlite/n/p/db/log/\"},\"range_key\":{\"N\":"
       "\"123\"},\"t\":{\"S\":\"o\"},\"k\":{\"S\":\"p/db/log/1\"},\"z\":{\"N\":\"3\"},"
       "\"d\":{\"B\":\"YWJj\"},\"w\":{\"S\":\"nonce\"}},\"ConsumedCapacity\":{\"TableName\":"
       "\"t\",\"CapacityUnits\":1.0}}");
  Seed("dynamodb_item", "chunked_head",
       "\x00{\"t\":{\"S\":\"o\"},\"k\":{\"S\":\"p/db/log/1\"},\"z\":{\"N\":\"1000000\"},"
       "\"g\":{\"S\":\"0123456789abcdef\"},\"c\":{\"N\":\"358400\"}}");
  Seed("dynamodb_item", "describe_table",
       "\x00{\"Table\":{\"TableName\":\"t\",\"TableStatus\":\"ACTIVE\",\"KeySchema\":["
       "{\"AttributeName\":\"hash_key\",\"KeyType\":\"HASH\"},{\"AttributeName\":"
       "\"range_key\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":"
       "\"hash_key\",\"AttributeType\":\"S\"},{\"AttributeName\":\"range_key\","
       "\"AttributeType\":\"N\"}]}}");
  Seed("dynamodb_item", "signature_error",
       "\x01{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":"
       "\"The request signature we calculated does not match the signature you provided. "
       "The Canonical String for this request should have been\\n'POST\\n/\\n\\n"
       "x-amz-security-token:TOKEN\\n'\"}");
  Seed("dynamodb_item", "throttled",
       "\x01{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
       "ProvisionedThroughputExceededException\",\"message\":\"slow down\"}");
  Seed("dynamodb_item", "forbidden", "\x02{\"Message\":\"User is not authorized\"}");

  Seed("uri", "file", "file:///var/dbs/orders?cache_size=100&max_staleness_ms=0");
  Seed("point_in_time", "version", "42");
  Seed("point_in_time", "time", "2024-05-01T12:00:00.123456Z");
  Seed("point_in_time", "space", "2024-05-01 12:00:00");
  Seed("uri", "s3",
       "s3://bucket/prefix/db?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000");
  Seed("uri", "dynamodb", "dynamodb://table/p/app.db?chunk_size=1000");
  Seed("uri", "mem", "mem://test/db%2Dx");

  Seed(
      "aws_config", "profiles",
      std::string("[default]\nregion = eu-west-1\nmax_attempts = 3\ns3 =\n  addressing_style = "
                  "path\n[profile dev]\nendpoint_url = http://127.0.0.1:9000\nservices = "
                  "local\n[services local]\ndynamodb =\n  endpoint_url = http://127.0.0.1:8000\n") +
          std::string(1, '\0') + "\x01" +
          "[dev]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"
          "aws_session_token = token\n[default]\naws_access_key_id=A\naws_secret_access_key=S\n");

  Seed("http_request", "keep_alive",
       "GET /db/v2?x=1 HTTP/1.1\r\nHost: db.localhost\r\nX-Echo: a\r\n\r\n"
       "POST /v2/pipeline?stream HTTP/1.1\r\nContent-Length: 11\r\n"
       "Authorization: Bearer a.b.c\r\n\r\n{\"r\":[1,2]}");
  Seed("http_request", "chunked",
       "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n");
  Seed("http_request", "head", "HEAD /h HTTP/1.0\r\n\r\n");
  Seed("http_auth", "header",
       std::string(1, '\0') + "Bearer eyJhbGciOiJFZERTQSJ9.eyJhIjoicm8ifQ.c2lnbmF0dXJl");
  Seed(
      "http_auth", "claims",
      std::string(1, '\1') +
          R"({"a":"ro","id":"db","exp":1800000000,"nbf":1,"p":{"rw":{"ns":["x"]},"roa":{"ns":["y"]}}})");
  Seed("http_auth", "keys",
       std::string(1, '\2') +
           "# keys\n-----BEGIN PUBLIC "
           "KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
           "-----END PUBLIC KEY-----\nGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE\n");
  Seed(
      "hrana", "libsql_batch",
      R"J({"requests":[{"type":"store_sql","sql_id":0,"sql":"INSERT INTO t VALUES (?)"},)J"
      R"J({"type":"batch","batch":{"steps":[{"stmt":{"sql":"BEGIN IMMEDIATE","want_rows":false}},)J"
      R"J({"condition":{"type":"ok","step":0},"stmt":{"sql_id":0,"args":[{"type":"blob",)J"
      R"J("base64":"AQI="},{"type":"float","value":42},{"type":"integer","value":"-9"},)J"
      R"J({"type":"null"},{"type":"text","value":"x"}],"named_args":[]}},{"condition":)J"
      R"J({"type":"not","cond":{"type":"and","conds":[{"type":"or","conds":[{"type":"error",)J"
      R"J("step":1},{"type":"is_autocommit"}]}]}},"stmt":{"sql":"ROLLBACK"}}]}},)J"
      R"J({"type":"close_sql","sql_id":0},{"type":"get_autocommit"},{"type":"close"}]})J");
  Seed("hrana", "cursor",
       R"J({"baton":"AAAA","batch":{"steps":[{"stmt":{"sql":"SELECT :a","named_args":)J"
       R"J([{"name":"a","value":{"type":"integer","value":"1"}}]}}]}})J");
  Seed("hrana", "sequence",
       R"J({"baton":null,"requests":[{"type":"sequence","sql":"SELECT 1; SELECT 2"},)J"
       R"J({"type":"describe","sql_id":3},{"type":"execute","stmt":{"sql":"x"}}]})J");
  Seed("hrana", "lift", "SELECT a, b AS x FROM t WHERE a = 1 + 42 % 7 AND b >= 'it''s' -- c\n");
  Seed("hrana", "lift_insert",
       "INSERT INTO t VALUES (1, 'it''s', f(2)), (3, '', 4) ON CONFLICT DO UPDATE SET c = 5 "
       "RETURNING c = 6");

  // dynamodb_wire: flags byte (bit 0 POST, bit 1 SigV4 on, bit 2 the fast path too), header
  // lines, blank line, body.
  const std::string ddb_headers =
      "Content-Type: application/x-amz-json-1.0\nX-Amz-Target: DynamoDB_20120810.PutItem\n"
      "Host: 127.0.0.1:8000\nX-Amz-Date: 20261202T080000Z\nAuthorization: AWS4-HMAC-SHA256 "
      "Credential=AKIDFUZZ/20261202/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00\n\n";
  const std::string ddb_body =
      R"({"TableName":"t","Item":{"k":{"S":"a"},"n":{"N":"1.5"},"l":{"L":[{"M":{}}]}}})";
  Seed("dynamodb_wire", "put", "\1" + ddb_headers + ddb_body);
  Seed("dynamodb_wire", "put_signed", "\3" + ddb_headers + ddb_body);
  Seed("dynamodb_wire", "get", std::string(1, '\0') + "Content-Type: text/plain\n\n");
  Seed("dynamodb_wire", "batch_get_item_fast",
       "\5Content-Type: application/x-amz-json-1.0\n"
       "X-Amz-Target: DynamoDB_20120810.BatchGetItem\n\n"
       R"({"RequestItems":{"t":{"Keys":[{"k":{"S":"a"}}],"ConsistentRead":false}}})");

  Seed("server_text", "mixed",
       std::string("\x40\x80") + "Authorization: AWS4-HMAC-SHA256 Signature=0a\n\x1b[2J é \xff");
}

// Lambda events, one of each source (tests/data/lambda/ has fuller ones); the first byte picks
// the content type of the echoed answer.
void LambdaEvents() {
  Seed(
      "lambda_event", "http_api_v2",
      std::string("\x00") +
          R"({"version":"2.0","rawPath":"/p","rawQueryString":"a=1","cookies":["c=1"],)"
          R"("headers":{"X-A":"b"},"requestContext":{"domainName":"x.execute-api.on.aws",)"
          R"("http":{"method":"POST","sourceIp":"1.2.3.4"}},"body":"aGk=","isBase64Encoded":true})");
  Seed("lambda_event", "function_url",
       std::string("\x01") +
           R"({"version":"2.0","rawPath":"/","requestContext":{"domainName":)"
           R"("u.lambda-url.us-east-1.on.aws","http":{"method":"GET"}},"body":"hi é"})");
  Seed("lambda_event", "rest_v1",
       std::string("\x02") +
           R"({"httpMethod":"GET","path":"/p","multiValueHeaders":{"A":["1","2"]},)"
           R"("multiValueQueryStringParameters":{"q":["a b","&"]},"body":null,)"
           R"("requestContext":{"identity":{"sourceIp":"1.2.3.4"}}})");
  Seed("lambda_event", "alb",
       std::string("\x03") +
           R"({"requestContext":{"elb":{"targetGroupArn":"arn"}},"httpMethod":"PUT",)"
           R"("path":"/","queryStringParameters":{"q":"a%20b"},"headers":{"Host":"h"},)"
           R"("body":"AAH/","isBase64Encoded":true})");
  Seed("lambda_event", "direct", std::string("\x00") + R"({"requests":[{"type":"close"}]})");
}

// DynamoDB values (mode byte 0: JSON) and stored items (mode byte 1), and expressions.
void Dynamo() {
  const std::string json(1, '\0');
  Seed("dynamo_value", "item",
       json + R"({"k":{"S":"a"},"n":{"N":"-1.50e3"},"b":{"B":"AAE="},"t":{"BOOL":true},)"
              R"("z":{"NULL":true},"ss":{"SS":["b","a"]},"ns":{"NS":["10","9"]},)"
              R"("bs":{"BS":["AA=="]},"l":{"L":[{"N":"1"},{"M":{"x":{"L":[]}}}]},"m":{"M":{}}})");
  Seed("dynamo_value", "value", json + R"({"M":{"a":{"L":[{"S":""}]}}})");
  // {"a": N 1.5, "b": L [true], "c": SS [x, y]} in the stored encoding.
  const char stored[] =
      "\x01\x03\x01"
      "a\x02\x03"
      "1.5\x01"
      "b\x0a\x01\x05\x01"
      "c\x07\x02\x01"
      "x\x01"
      "y";
  Seed("dynamo_value", "stored", std::string(stored, sizeof(stored) - 1));
  const char* expressions[] = {
      "attribute_not_exists(pk) OR (n BETWEEN :n AND :big AND NOT contains(ss, :s))",
      "begins_with(s, :s) AND size(l) > :n AND l[2][0].q IN (:n, :l) AND attribute_type(m, :s)",
      "#b.#c[0] <> :n OR m.a.b[0] >= :n",
      "SET n = n + :n, l[9] = list_append(:l, l) REMOVE s ADD ss :ss DELETE ns :ns",
      "SET #a = if_not_exists(#a, :n) - :big",
      "pk = :s AND sk BETWEEN :n AND :n",
      "#k = :s AND begins_with(sk, :s)",
      "m.a, l[1], #a, s"};
  int i = 0;
  for (const char* e : expressions) Seed("dynamo_expression", "e" + std::to_string(i++), e);
  const char* legacy[] = {
      R"({"Expected": {"n": {"Exists": false}, "s": {"ComparisonOperator": "IN",
          "AttributeValueList": [{"S": "a"}, {"S": "b"}]}}, "ConditionalOperator": "OR"})",
      R"({"AttributeUpdates": {"n": {"Action": "ADD", "Value": {"N": "1"}}, "l": {"Action": "ADD",
          "Value": {"L": [{"S": "x"}]}}, "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
          "s": {"Action": "DELETE"}, "a.b": {"Value": {"S": "v"}}}})",
      R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
          "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}},
          "QueryFilter": {"s": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList":
          [{"S": "q"}]}}, "AttributesToGet": ["s", "n"]})",
      R"({"ScanFilter": {"n": {"ComparisonOperator": "NOT_NULL"}}, "ProjectionExpression": "n"})"};
  i = 0;
  for (const char* l : legacy) Seed("dynamo_legacy", "l" + std::to_string(i++), l);
  // Requests (fuzz/dynamo_request_fuzz.cc: key pk S, sk N; the batch table is t1).
  const char* requests[] = {
      R"({"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"L": [{"N": "2"}]}},
          "ConditionExpression": "attribute_not_exists(pk) OR #x[0] < :v",
          "ExpressionAttributeNames": {"#x": "x"}, "ExpressionAttributeValues": {":v": {"N": "3"}},
          "ReturnValues": "ALL_OLD", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})",
      R"({"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "UpdateExpression":
          "SET n = n + :v, l[5] = :v REMOVE s ADD ss :ss", "ConditionExpression": "n > :v",
          "ExpressionAttributeValues": {":v": {"N": "1"}, ":ss": {"SS": ["z"]}},
          "ReturnValues": "UPDATED_NEW", "ReturnConsumedCapacity": "TOTAL"})",
      R"({"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ProjectionExpression": "m.a, l[1]",
          "ConsistentRead": true})",
      R"({"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "FilterExpression":
          "n <> :a", "ExpressionAttributeValues": {":p": {"S": "a"}, ":a": {"N": "1"},
          ":b": {"N": "3"}}, "Limit": 2, "ScanIndexForward": false, "ExclusiveStartKey":
          {"pk": {"S": "a"}, "sk": {"N": "2"}}, "Select": "COUNT"})",
      R"j({"Segment": 1, "TotalSegments": 4, "FilterExpression": "begins_with(s, :s)",
          "ExpressionAttributeValues": {":s": {"S": "ab"}}, "Limit": 3})j",
      R"({"RequestItems": {"t1": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}},
          {"pk": {"S": "b"}, "sk": {"N": "1"}}], "ProjectionExpression": "n"}}})",
      R"({"RequestItems": {"t1": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}}},
          {"DeleteRequest": {"Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}}}]}})"};
  i = 0;
  for (const char* r : requests) Seed("dynamo_request", "r" + std::to_string(i++), r);
  // The legacy parameters (dynamo/legacy.h), as the YCSB binding sends them.
  Seed("dynamo_request", "legacy_update",
       R"({"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "AttributeUpdates": {"f": {"Action": "PUT",
        "Value": {"S": "y"}}, "n": {"Action": "ADD", "Value": {"N": "2"}}},
        "Expected": {"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList":
        [{"S": "a"}]}}, "ReturnValues": "UPDATED_OLD"})");
  Seed("dynamo_request", "legacy_query",
       R"({"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList":
        [{"S": "a"}]}, "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "1"}]}},
        "QueryFilter": {"n": {"ComparisonOperator": "NOT_NULL"}}, "AttributesToGet": ["n"],
        "Limit": 2})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 1;
  }
  root = argv[1];
  Formats();
  Servers();
  LambdaEvents();
  Dynamo();
  return 0;
}
