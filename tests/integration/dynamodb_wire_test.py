#!/usr/bin/python3
"""`cloudlite dynamodb serve`'s wire through a real socket (issue 14, items 1, 2 and 8): what
DynamoDB answers to requests that are not a POST of JSON, malformed JSON and unknown targets,
x-amz-crc32 and x-amzn-RequestId on every answer, SigV4 with --credentials (botocore signs, when
python3-boto3 is installed: a known key passes, an unknown key and a wrong secret get DynamoDB's
errors, botocore's own CRC32 check accepts every answer, and a table, an item and a failed
condition go through), /metrics, /readyz, the access log,
and the refusal to listen beyond loopback without auth."""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

CLI = os.environ["CLOUDLITE_BIN"]


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)


def start(store, *flags):
    proc = subprocess.Popen([CLI, "dynamodb", "serve", "--store", store, "--listen",
                             "127.0.0.1:0", *flags], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"listening on http://([0-9.]+):([0-9]+)", line)
        if m:
            return proc, int(m.group(2))
    proc.kill()
    check(False, "the server did not start: " + (proc.stderr.read() or ""))


def request(port, method, body=b"", headers=None, path="/"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def dynamodb_error(status, headers, data):
    check(headers.get("x-amz-crc32") == str(zlib.crc32(data)), "x-amz-crc32 is the body's CRC-32")
    check(re.fullmatch(r"[0-9A-Z]{52}", headers.get("x-amzn-requestid", "")), "a request id")
    return status, json.loads(data).get("__type", "")


JSON10 = {"Content-Type": "application/x-amz-json-1.0"}
PREFIX = "com.amazonaws.dynamodb.v20120810#"


def wire_checks(port):
    status, headers, data = request(port, "GET")
    check(status == 404 and data == b"<UnknownOperationException/>\n", f"GET / is 404: {data}")
    check(headers.get("x-amz-crc32") == str(zlib.crc32(data)), "crc32 on the 404")
    check(dynamodb_error(*request(port, "POST", b"{x", {**JSON10, "X-Amz-Target":
                                                         "DynamoDB_20120810.ListTables"}))
          == (400, PREFIX + "SerializationException"), "malformed JSON")
    check(dynamodb_error(*request(port, "POST", b"{}", {**JSON10, "X-Amz-Target":
                                                        "DynamoDB_20120810.Nope"}))
          == (400, PREFIX + "UnknownOperationException"), "unknown operation")
    check(dynamodb_error(*request(port, "POST", b"{}", JSON10))
          == (400, PREFIX + "UnknownOperationException"), "no target")
    status, _, data = request(port, "GET", path="/readyz")
    check(status == 200 and data == b"ready\n", "readyz")


def signed_checks(port, key, secret):
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        print("botocore checks skipped: python3-boto3 is not installed")
        return
    config = botocore.config.Config(retries={"max_attempts": 1})

    def client(k, s):
        return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}",
                            region_name="eu-west-1", aws_access_key_id=k,
                            aws_secret_access_key=s, config=config)

    def error_code(k, s):
        try:
            client(k, s).describe_limits()
            return "ok"
        except botocore.exceptions.ClientError as e:
            return e.response["Error"]["Code"]

    check(error_code("AKIDNOBODY", secret) == "UnrecognizedClientException", "an unknown key")
    check(error_code(key, secret + "x") == "InvalidSignatureException", "a wrong secret")
    passed = error_code(key, secret)
    check(passed not in ("UnrecognizedClientException", "InvalidSignatureException",
                         "MissingAuthenticationTokenException", "IncompleteSignatureException"),
          f"the right key passes SigV4 (got {passed})")
    # A round trip through the wire and the table service, signed and checksummed by botocore.
    ddb = client(key, secret)
    ddb.create_table(TableName="wire", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="wire", Item={"k": {"S": "a"}, "n": {"N": "1.50"}})
    got = ddb.get_item(TableName="wire", Key={"k": {"S": "a"}}, ConsistentRead=True)
    check(got.get("Item") == {"k": {"S": "a"}, "n": {"N": "1.5"}}, f"put then get: {got}")
    try:
        ddb.put_item(TableName="wire", Item={"k": {"S": "a"}},
                     ConditionExpression="attribute_not_exists(k)")
        check(False, "a failed condition is an error")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "ConditionalCheckFailedException", str(e))
    status, _, _ = request(port, "POST", b"{}", {**JSON10, "X-Amz-Target":
                                                 "DynamoDB_20120810.DescribeLimits"})
    check(status == 400, "unsigned requests are refused")


def main():
    work = tempfile.mkdtemp()
    procs = []
    try:
        store = "file://" + os.path.join(work, "store")
        creds = os.path.join(work, "credentials")
        with open(creds, "w") as f:
            f.write("# test key\nAKIDWIRE wire-secret\n")

        proc, port = start(store)
        procs.append(proc)
        wire_checks(port)
        status, _, data = request(port, "GET", path="/metrics")
        check(status == 200 and b"cloudlite_http_requests_total" in data, "metrics")

        proc, port = start(store, "--credentials", creds, "--access-log", "stderr")
        procs.append(proc)
        status, typ = dynamodb_error(*request(port, "POST", b"{}", {
            **JSON10, "X-Amz-Target": "DynamoDB_20120810.ListTables"}))
        check((status, typ) == (400, PREFIX + "MissingAuthenticationTokenException"),
              "--credentials requires a signature")
        signed_checks(port, "AKIDWIRE", "wire-secret")
        proc.terminate()
        _, log = proc.communicate(timeout=60)
        procs.remove(proc)
        check(proc.returncode == 0, f"exit 0 after SIGTERM, not {proc.returncode}: {log[-2000:]}")
        check(re.search(r'"route":"ListTables".*"error":"MissingAuthenticationTokenException",'
                        r'"operation":"ListTables","request_id":"[0-9A-Z]{52}"', log),
              f"the access log names the operation, the error and the request: {log}")
        check("wire-secret" not in log, "the log never holds a secret")

        refused = subprocess.run([CLI, "dynamodb", "serve", "--store", store, "--listen",
                                  "0.0.0.0:0"], capture_output=True, text=True, timeout=60)
        check(refused.returncode == 1 and "--credentials" in refused.stderr,
              f"no auth beyond loopback: {refused.returncode} {refused.stderr}")
        missing = subprocess.run([CLI, "dynamodb", "serve", "--store", store, "--credentials",
                                  os.path.join(work, "nope")], capture_output=True, text=True,
                                 timeout=60)
        check(missing.returncode == 2, f"a missing credentials file: {missing.returncode}")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(work, ignore_errors=True)
    print("dynamodb_wire: all checks passed")


if __name__ == "__main__":
    main()
