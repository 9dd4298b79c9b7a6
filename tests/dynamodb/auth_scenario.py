#!/usr/bin/env python3
"""SigV4 against a server started with `--credentials FILE` ($CLOUDLITE_DDB_ENDPOINT; the key
pair in $CLOUDLITE_DDB_KEY and $CLOUDLITE_DDB_SECRET is in the file, run.sh writes it): boto3
with the right key works; a wrong secret, an unknown key, no signature, a clock 20 minutes off
and a body changed after signing each get AWS's error (docs/dynamodb.md "Auth").
CLOUDLITE_DDB_IS_DYNAMODB_LOCAL=1 checks only the signed calls (DynamoDB Local takes any key)."""

import datetime
import http.client
import json
import os
import sys
import urllib.parse

import boto3
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("CLOUDLITE_DDB_ENDPOINT") or sys.exit("set CLOUDLITE_DDB_ENDPOINT")
KEY = os.environ.get("CLOUDLITE_DDB_KEY", "CLOUDLITEAUTHKEY0001")
SECRET = os.environ.get("CLOUDLITE_DDB_SECRET", "cloudliteAuthSecret000000000000000000001")
IS_LOCAL = os.environ.get("CLOUDLITE_DDB_IS_DYNAMODB_LOCAL") == "1"
TABLE = f"clauth-{os.getpid()}"


def client(key, secret):
    return boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                 region_name="eu-west-3").client(
        "dynamodb", endpoint_url=ENDPOINT,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} succeeded without valid credentials")


def raw(target, body, sign=True, skew_minutes=0, tamper=False):
    """A request made by hand: signed (maybe with a skewed clock), or not; the body maybe
    changed after signing. Returns (status, decoded body)."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0",
               "X-Amz-Target": "DynamoDB_20120810." + target}
    req = AWSRequest(method="POST", url=ENDPOINT.rstrip("/") + "/", data=data, headers=headers)
    if sign:
        real_now = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = \
            lambda: real_now() + datetime.timedelta(minutes=skew_minutes)
        try:
            SigV4Auth(Credentials(KEY, SECRET), "dynamodb", "us-east-1").add_auth(req)
        finally:
            botocore.auth.get_current_datetime = real_now
    if tamper:
        data = json.dumps({**body, "Limit": 1}).encode()
    url = urllib.parse.urlsplit(ENDPOINT)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    sent = dict(req.headers.items())
    sent["Content-Length"] = str(len(data))
    conn.request("POST", "/", body=data, headers=sent)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"{}")


def expect(answer, status, error_type, message_part):
    got_status, body = answer
    got_type = str(body.get("__type", "")).rsplit("#", 1)[-1]
    message = body.get("message", body.get("Message", ""))
    assert (got_status, got_type) == (status, error_type), f"got {answer}, want {error_type}"
    assert message_part in message, f"{error_type} message {message!r} lacks {message_part!r}"


def main():
    good = client(KEY, SECRET)
    good.create_table(TableName=TABLE,
                      AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                      KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                      BillingMode="PAY_PER_REQUEST")
    try:
        good.get_waiter("table_exists").wait(TableName=TABLE)
        good.put_item(TableName=TABLE, Item={"id": {"S": "a"}, "v": {"N": "1"}})
        item = good.get_item(TableName=TABLE, Key={"id": {"S": "a"}})["Item"]
        assert item["v"] == {"N": "1"}, item
        status, body = raw("Scan", {"TableName": TABLE})
        assert status == 200 and body["Count"] == 1, (status, body)
        if IS_LOCAL:
            print("auth_scenario: signed calls work (DynamoDB Local takes any key: no refusals "
                  "to check)")
            return
        code, message = error_of(client(KEY, SECRET + "x").list_tables)
        assert code == "InvalidSignatureException", (code, message)
        assert "signature we calculated does not match" in message, message
        assert SECRET not in message, "a message quotes the secret"
        code, _ = error_of(client("CLOUDLITEUNKNOWNKEY1", SECRET).list_tables)
        assert code == "UnrecognizedClientException", code
        expect(raw("Scan", {"TableName": TABLE}, sign=False), 400,
               "MissingAuthenticationTokenException", "Authentication Token")
        expect(raw("Scan", {"TableName": TABLE}, skew_minutes=-20), 400,
               "InvalidSignatureException", "Signature expired")
        expect(raw("Scan", {"TableName": TABLE}, skew_minutes=20), 400,
               "InvalidSignatureException", "Signature not yet current")
        expect(raw("Scan", {"TableName": TABLE}, tamper=True), 400, "InvalidSignatureException",
               "signature we calculated does not match")
        print("auth_scenario: right key works; wrong secret, unknown key, no signature, skewed "
              "clock and changed body refused with AWS's errors")
    finally:
        good.delete_table(TableName=TABLE)


if __name__ == "__main__":
    main()
