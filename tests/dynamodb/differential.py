#!/usr/bin/env python3
"""Differential test of a DynamoDB-compatible server against a reference (DynamoDB Local).

A seeded generator makes a random sequence of operations, valid and invalid (conditions that
pass or fail, bad expressions, type errors, missing tables, oversize items, queries and scans
with filters and paging, malformed JSON). Each is sent as raw JSON over HTTP, signed with
botocore's SigV4Auth (so invalid requests reach the server instead of being refused by an SDK),
to both endpoints, and the two answers are compared after normalising what legitimately differs:
request ids and timestamps, ARNs and table ids, ConsumedCapacity (presence only), the order of
set elements and of BatchGetItem's items, and Scan results, compared as sets after paging every
segment to the end. Status, error name (__type after its '#'), message and body must agree.

Endpoints come from the environment:
  CLOUDLITE_DDB_REFERENCE   default $AWS_ENDPOINT_URL_DYNAMODB (scripts/dynamodb-start.sh)
  CLOUDLITE_DDB_CANDIDATE   the server under test (required)
Differences listed in the allow-list file (known-differences.txt beside this script) are
counted and printed but do not fail the run. On an unexpected difference the run prints the
seed, shrinks the sequence to a minimal one that still shows it, prints it as JSON and exits 1;
`--replay FILE` runs such a saved sequence again.
"""

import argparse
import base64
import copy
import decimal
import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse
import zlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_PREFIX = "DynamoDB_20120810."

# --- the wire --------------------------------------------------------------------------------


class Endpoint:
    """One server: signs each request with SigV4 and sends it on a kept-alive connection."""

    def __init__(self, url, name):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            sys.exit(f"differential: {name} endpoint must be http://host:port, got {url!r}")
        self.name = name
        self.url = url.rstrip("/") + "/"
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.creds = Credentials(os.environ.get("AWS_ACCESS_KEY_ID", "cloudlitelocal"),
                                 os.environ.get("AWS_SECRET_ACCESS_KEY", "cloudlitelocal"))
        self.region = os.environ.get("AWS_REGION", "us-east-1")
        self.conn = None
        self.arns = {}  # table name -> this endpoint's ARN for it

    def send(self, target, data):
        headers = {"Content-Type": "application/x-amz-json-1.0",
                   "X-Amz-Target": TARGET_PREFIX + target}
        req = AWSRequest(method="POST", url=self.url, data=data, headers=headers)
        SigV4Auth(self.creds, "dynamodb", self.region).add_auth(req)
        for attempt in range(2):  # a kept-alive connection the server closed: reconnect once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request("POST", "/", body=data, headers=dict(req.headers.items()))
                resp = self.conn.getresponse()
                body = resp.read()
                crc = resp.getheader("x-amz-crc32")
                if crc is not None and crc != str(zlib.crc32(body)):
                    # botocore would refuse this answer: make it a difference of its own.
                    body = json.dumps({"<x-amz-crc32 does not match the body>": crc}).encode()
                return resp.status, body
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def decode(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return {"<undecodable>": raw.decode("utf-8", "replace")[:200]}


# --- normalisation ---------------------------------------------------------------------------

TABLE_VOLATILE = ("TableArn", "TableId", "CreationDateTime", "LatestStreamArn",
                  "LatestStreamLabel")
THROUGHPUT_VOLATILE = ("LastIncreaseDateTime", "LastDecreaseDateTime")
ARN_RE = re.compile(r"arn:aws[a-z-]*:dynamodb:[^\s\"',]*")


def canon(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def sort_sets(value):
    """Set elements have no order in DynamoDB: sort SS, NS and BS everywhere."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS") and isinstance(v, list):
                out[k] = sorted(v, key=canon)
            else:
                out[k] = sort_sets(v)
        return out
    if isinstance(value, list):
        return [sort_sets(v) for v in value]
    return value


def canon_number(text):
    """A number's value as one spelling: "1e2", "100" and "1.00E+2" alike, "-0" as "0"."""
    try:
        d = decimal.Decimal(text)
    except (decimal.InvalidOperation, TypeError):
        return text
    if not d.is_finite():
        return text
    if d == 0:
        return "0"
    return format(d.normalize(decimal.Context(prec=60)), "f")


def nested_numbers(value, nested=True):
    """DynamoDB Local keeps the text of numbers inside L and M as sent ("1e2", "-0"), and of
    numbers an UpdateExpression SET ("1.500"); DynamoDB answers every number normalised, as the
    candidate does. Compare numbers by value."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if nested and k == "N" and isinstance(v, str):
                out[k] = canon_number(v)
            elif nested and k == "NS" and isinstance(v, list):
                out[k] = sorted(canon_number(x) if isinstance(x, str) else x for x in v)
            else:
                out[k] = nested_numbers(v, nested or k in ("L", "M"))
        return out
    if isinstance(value, list):
        return [nested_numbers(v, nested) for v in value]
    return value


def normalise_table(desc):
    if not isinstance(desc, dict):
        return desc
    for k in TABLE_VOLATILE:
        desc.pop(k, None)
    tp = desc.get("ProvisionedThroughput")
    if isinstance(tp, dict):
        for k in THROUGHPUT_VOLATILE:
            tp.pop(k, None)
    bms = desc.get("BillingModeSummary")
    if isinstance(bms, dict):
        bms.pop("LastUpdateToPayPerRequestDateTime", None)
    return desc


def normalise(target, status, body):
    """What of an answer must agree: (status, error name, message, body) as comparable values."""
    body = nested_numbers(copy.deepcopy(body))
    if isinstance(body, dict) and "__type" in body:
        name = str(body.pop("__type")).rsplit("#", 1)[-1]
        # DynamoDB Local spells it "Message", DynamoDB "message": clients read both.
        message = body.pop("message", body.pop("Message", None))
        if isinstance(message, str):
            message = ARN_RE.sub("<arn>", message)
        for reason in body.get("CancellationReasons") or []:
            # DynamoDB Local ends some reasons' message with a period, some not; DynamoDB's is
            # "The conditional request failed".
            if isinstance(reason, dict) and isinstance(reason.get("Message"), str):
                reason["Message"] = reason["Message"].rstrip(".")
        return {"status": status, "error": name, "message": message,
                "body": sort_sets(body)}
    if isinstance(body, dict):
        if target in ("CreateTable", "DeleteTable") and isinstance(body.get("TableDescription"), dict):
            # DynamoDB answers CREATING / DELETING, DynamoDB Local ACTIVE: both are right for a
            # table that a server makes or drops at once.
            desc = body["TableDescription"]
            if desc.get("TableStatus") in ("CREATING", "DELETING", "ACTIVE"):
                desc["TableStatus"] = "<transitional-or-active>"
        if "ConsumedCapacity" in body:
            body["ConsumedCapacity"] = "<present>"
        if target in ("UpdateTable", "CreateTable", "DeleteTable") and \
                isinstance(body.get("TableDescription"), dict):
            # DynamoDB refreshes ItemCount and TableSizeBytes about every six hours: any value
            # is right here (DescribeTable's, counted now, is compared).
            body["TableDescription"].pop("ItemCount", None)
            body["TableDescription"].pop("TableSizeBytes", None)
        for k in ("TableDescription", "Table"):
            if k in body:
                normalise_table(body[k])
        if target == "BatchGetItem" and isinstance(body.get("Responses"), dict):
            body["Responses"] = {t: sorted(sort_sets(items), key=canon)
                                 for t, items in body["Responses"].items()}
    return {"status": status, "body": sort_sets(body)}


# --- the generator ---------------------------------------------------------------------------
#
# Operations are plain JSON, with placeholders resolved at send time: "{T1}", "{T2}" (this
# run's tables), "{MISSING}" (a table that never exists) and "{ARN:T1}" (the ARN each endpoint
# gave T1). So a sequence is data: printed, saved and replayed as it is.

PKS = ["a", "b", "c"]
SKS = ["1", "2", "3", "4", "5"]
IDS = ["x", "y", "z"]
NUMBERS = ["0", "1", "-1", "2.5", "10", "1e2", "0.001", "-3.25", "7", "100",
           "99999999999999999999999999999999999999", "9.9999999999999999999999999999999999999E+125",
           "1E-130", "1.500", "-0", "01.10", "1E+2", "0.0", "-00.0100e-3"]
BAD_NUMBERS = ["1234567890123456789012345678901234567890", "1e126", "abc", "1E-131", "--1", ""]
STRINGS = ["", "hello", "h\u00e9llo", "aaa", "a", "zz", "hel"]
T1_KEY = '{"pk": {"S": "a"}, "sk": {"N": "1"}}'
TYPES = ["N", "S", "SS", "NS", "L", "M", "BOOL", "NULL", "B", "XX"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        # Draws added after the sequences were first recorded: their own generator, so that the
        # operations of a seed stay what they were.
        self.spread_r = random.Random(seed + 1000003)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    def num(self):
        return {"N": self.pick(NUMBERS)}

    def string(self):
        return {"S": self.pick(STRINGS)}

    def value(self, depth=0):
        kind = self.pick(["N", "S", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"])
        if kind == "N":
            return self.num()
        if kind == "S":
            return self.string()
        if kind == "B":
            return {"B": self.pick(["", "AQID", "/w=="])}
        if kind == "BOOL":
            return {"BOOL": self.chance(0.5)}
        if kind == "NULL":
            return {"NULL": True}
        if kind == "SS":
            return {"SS": self.r.sample(["p", "q", "r", ""], self.r.randint(1, 3))}
        if kind == "NS":
            return {"NS": self.r.sample(["1", "2", "3.5", "-4"], self.r.randint(1, 3))}
        if kind == "BS":
            return {"BS": self.r.sample(["AQ==", "Ag==", "Aw=="], self.r.randint(1, 2))}
        if kind == "L" or depth >= 2:
            return {"L": [self.value(depth + 1) for _ in range(self.r.randint(0, 3))]}
        return {"M": {"x": self.num(), "y": {"M": {"z": self.string()}}}}

    def t1_key(self):
        return {"pk": {"S": self.pick(PKS)}, "sk": {"N": self.pick(SKS)}}

    def t2_key(self):
        return {"id": {"S": self.pick(IDS)}}

    def bad_key(self, good):
        """A key DynamoDB must refuse: wrong type, missing or extra attribute, empty string."""
        key = dict(good)
        choice = self.r.randint(0, 3)
        if choice == 0:
            name = next(iter(key))
            key[name] = {"N": "1"} if "S" in key[name] else {"S": "1"}
        elif choice == 1:
            key.pop(next(iter(key)))
        elif choice == 2:
            key["extra"] = {"S": "e"}
        else:
            name = next(iter(key))
            if "S" in key[name]:
                key[name] = {"S": ""}
            else:
                key[name] = {"N": self.pick(BAD_NUMBERS)}
        return key

    def attributes(self):
        attrs = {}
        if self.chance(0.8):
            attrs["n"] = self.num()
        if self.chance(0.6):
            attrs["s"] = self.string()
        if self.chance(0.4):
            attrs["l"] = {"L": [self.num(), self.string()][: self.r.randint(0, 2)]}
        if self.chance(0.4):
            attrs["m"] = {"M": {"x": self.num(), "y": {"M": {"z": self.string()}}}}
        if self.chance(0.4):
            attrs["ss"] = {"SS": self.r.sample(["p", "q", "r"], self.r.randint(1, 3))}
        if self.chance(0.3):
            attrs["ns"] = {"NS": self.r.sample(["1", "2", "3"], self.r.randint(1, 2))}
        if self.chance(0.2):
            attrs["other"] = self.value()
        return attrs

    def bad_attribute(self):
        return self.pick([
            {"ss": {"SS": []}},
            {"ss": {"SS": ["p", "p"]}},
            {"ns": {"NS": ["1", "1.0"]}},
            {"n": {"N": self.pick(BAD_NUMBERS)}},
            {"b": {"B": "not base64!"}},
            {"v": {"S": "x", "N": "1"}},
            {"v": {}},
            {"": {"S": "empty name"}},
            {"deep": self.deep(40)},
        ])

    def deep(self, depth):
        value = {"S": "leaf"}
        for _ in range(depth):
            value = {"L": [value]}
        return value

    # Expressions: templates whose ":v" and "#n" tokens get values and names below.
    CONDITIONS = [
        "attribute_not_exists(pk)", "attribute_exists(pk)", "attribute_not_exists(id)",
        "n > :v", "n <= :v", "n = :v", "n <> :v", "n BETWEEN :lo AND :hi", "begins_with(s, :p)",
        "contains(ss, :e)", "contains(s, :e)", "size(l) > :v", "size(s) = :v",
        "attribute_type(n, :t)", "#n = :v", "n IN (:a, :b)", "NOT attribute_exists(m.x)",
        "m.y.z = :s", "l[0] = :v", "attribute_exists(n) AND n > :v", "n < :v OR s = :s",
        "(n > :lo AND n < :hi) OR attribute_not_exists(n)", "NOT (n = :v)",
    ]
    BAD_CONDITIONS = [
        "n >", "n = :undefined", "#undefined = :v", "status = :s", "size = :v", "n = = :v",
        "begins_with(n, :v)", "attribute_type(n, :bad)", "foo(n)", "n BETWEEN :hi AND :lo",
        "(n = :v", "n IN ()", "pk = :s AND", "contains(:v)", "l[-1] = :v", "n.",
        "#1 = :v",
    ]
    UPDATES = [
        "SET n = n + :v", "SET n = if_not_exists(n, :z) + :v", "SET n = n - :v",
        "SET l = list_append(if_not_exists(l, :el), :lv)", "SET l = list_append(:lv, l)",
        "REMOVE s", "REMOVE l[0]", "REMOVE m.x", "REMOVE m.y.z, s", "ADD n :v", "ADD ns :nsv",
        "ADD ss :ssv", "DELETE ss :ssv", "DELETE ns :nsv", "SET m.x = :v", "SET m.y.z = :s",
        "SET l[1] = :v", "SET l[5] = :v", "SET s = :s, n = :v", "SET #st = :s",
        "SET a = :v REMOVE s ADD n :v", "SET newmap = :m", "SET newmap.q = :v",
        "SET n = :v DELETE ss :ssv", "SET #n = #n + :v", "SET lm = :lm",
        "SET lm[0].v = lm[0].v + :v", "SET lm[1].w = :s", "REMOVE lm[0].v", "SET lm[0] = :m",
        "SET l = list_append(l, l)", "SET m.y = m", "SET n2 = if_not_exists(n2, n)",
    ]
    BAD_UPDATES = [
        "SET n = :v, n = :v", "SET pk = :s", "SET id = :s", "ADD s :v", "SET n = s + :v",
        "SET status = :s", "SET n = n +", "REMOVE", "DELETE ss :v", "SET m = :v, m.x = :v",
        "ADD l :v", "SET n = :undefined", "SET = :v", "SET n = list_append(:v, :v)",
        "SET n = if_not_exists(:v, :v)", "SET l[0][1] = :v REMOVE l", "ADD m.x.y :v",
        "SET #undefined = :v", "SET n = size(s)",
    ]

    def placeholder_value(self, token):
        if token in (":s", ":p", ":e"):
            return self.string() if self.chance(0.9) else self.num()
        if token == ":t":
            return {"S": self.pick(TYPES[:-1])}
        if token == ":bad":
            return {"S": "XX"}
        if token in (":lv", ":el"):
            return {"L": [self.num()] * self.r.randint(0, 2)}
        if token == ":nsv":
            return {"NS": self.r.sample(["1", "2", "3"], self.r.randint(1, 2))}
        if token == ":ssv":
            return {"SS": self.r.sample(["p", "q", "r"], self.r.randint(1, 2))}
        if token == ":m":
            return {"M": {}}
        if token == ":lm":
            return {"L": [{"M": {"v": self.num()}}, {"M": {}}]}
        if token == ":undefined":
            return None
        return self.num() if self.chance(0.9) else self.string()

    NAMES = {"#n": "n", "#st": "status", "#s": "s"}

    def expression_parts(self, *exprs):
        """ExpressionAttributeNames/Values for the tokens the expressions use; sometimes one
        unused value or name too (DynamoDB refuses those)."""
        names, values = {}, {}
        for expr in exprs:
            for tok in re.findall(r":[A-Za-z0-9_]+", expr):
                val = self.placeholder_value(tok)
                if val is not None:
                    values[tok] = val
            for tok in re.findall(r"#[A-Za-z0-9_]+", expr):
                if tok in self.NAMES:
                    names[tok] = self.NAMES[tok]
        if self.chance(0.04):
            values[":unused"] = self.num()
        if self.chance(0.03):
            names["#unused"] = "u"
        out = {}
        if names:
            out["ExpressionAttributeNames"] = names
        if values:
            out["ExpressionAttributeValues"] = values
        return out

    def condition(self, bad_rate=0.08):
        return self.pick(self.BAD_CONDITIONS if self.chance(bad_rate) else self.CONDITIONS)

    def return_values(self, choices):
        return {"ReturnValues": self.pick(choices)} if self.chance(0.6) else {}

    def table_and_key(self):
        if self.chance(0.7):
            return "{T1}", self.t1_key()
        return "{T2}", self.t2_key()

    def maybe_missing(self, table):
        return "{MISSING}" if self.chance(0.03) else table

    def maybe_bad_key(self, key):
        return self.bad_key(key) if self.chance(0.05) else key

    def capacity(self):
        if self.chance(0.2):
            return {"ReturnConsumedCapacity": self.pick(["TOTAL", "INDEXES", "NONE"])}
        return {}

    # --- operations ---

    def put(self):
        table, key = self.table_and_key()
        item = dict(self.maybe_bad_key(key))
        item.update(self.attributes())
        if self.chance(0.05):
            item.update(self.bad_attribute())
        body = {"TableName": self.maybe_missing(table), "Item": item}
        if self.chance(0.5):
            body["ConditionExpression"] = self.condition()
            body.update(self.expression_parts(body["ConditionExpression"]))
            if self.chance(0.3):
                body["ReturnValuesOnConditionCheckFailure"] = self.pick(["ALL_OLD", "NONE"])
        elif self.chance(0.1):
            body["Expected"] = self.expected()
        body.update(self.return_values(["NONE", "ALL_OLD", "ALL_OLD", "NONE", "ALL_NEW"]))
        body.update(self.capacity())
        return {"kind": "put", "target": "PutItem", "body": body}

    def expected(self):
        return self.pick([
            {"n": {"Exists": False}},
            {"pk": {"Exists": True, "Value": {"S": "a"}}},
            {"n": {"ComparisonOperator": "GT", "AttributeValueList": [self.num()]}},
            {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [self.num()]}},
            {"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [self.string()]}},
            {"n": {"ComparisonOperator": "NOT_NULL"}},
        ])

    def oversize_put(self):
        # Either side of DynamoDB's 400 KB, to the byte: the names count ("pk" "sk" "big"), the
        # values ("a", 1 digit of number: 2 bytes) and the string, so 10 + length.
        length = 409590 + self.r.randint(-3, 3)
        item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "big": {"S": "x" * length}}
        return {"kind": "oversize", "target": "PutItem",
                "body": {"TableName": "{T1}", "Item": item}}

    def get(self):
        table, key = self.table_and_key()
        body = {"TableName": self.maybe_missing(table), "Key": self.maybe_bad_key(key)}
        if self.chance(0.4):
            body["ProjectionExpression"] = self.pick(
                ["n", "s, n", "m.y.z", "l[0], n", "#n", "m.x, m.y", "ss", "nosuch", "n,", "#st"])
            body.update(self.expression_parts(body["ProjectionExpression"]))
        elif self.chance(0.1):
            body["AttributesToGet"] = self.pick([["n", "s"], ["pk"], ["n", "n"]])
        if self.chance(0.3):
            body["ConsistentRead"] = self.chance(0.5)
        body.update(self.capacity())
        return {"kind": "get", "target": "GetItem", "body": body}

    def update(self):
        table, key = self.table_and_key()
        body = {"TableName": self.maybe_missing(table), "Key": self.maybe_bad_key(key)}
        if self.chance(0.12):
            body["AttributeUpdates"] = self.pick([
                {"n": {"Action": "ADD", "Value": self.num()}},
                {"s": {"Action": "PUT", "Value": self.string()}},
                {"s": {"Action": "DELETE"}},
                {"ss": {"Action": "DELETE", "Value": {"SS": ["p"]}}},
                {"ns": {"Action": "ADD", "Value": {"NS": ["9"]}}},
            ])
            if self.chance(0.3):
                body["Expected"] = self.expected()
        else:
            bad = self.chance(0.1)
            expr = self.pick(self.BAD_UPDATES if bad else self.UPDATES)
            body["UpdateExpression"] = expr
            exprs = [expr]
            if self.chance(0.35):
                body["ConditionExpression"] = self.condition()
                exprs.append(body["ConditionExpression"])
                if self.chance(0.3):
                    body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            body.update(self.expression_parts(*exprs))
        body.update(self.return_values(["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW",
                                        "UPDATED_NEW"] * 8 + ["ALL", "all_new"]))
        body.update(self.capacity())
        return {"kind": "update", "target": "UpdateItem", "body": body}

    def delete(self):
        table, key = self.table_and_key()
        body = {"TableName": self.maybe_missing(table), "Key": self.maybe_bad_key(key)}
        if self.chance(0.5):
            body["ConditionExpression"] = self.condition()
            body.update(self.expression_parts(body["ConditionExpression"]))
            if self.chance(0.3):
                body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        body.update(self.return_values(["NONE", "ALL_OLD"]))
        return {"kind": "delete", "target": "DeleteItem", "body": body}

    KEY_CONDITIONS = [
        "pk = :pk", "pk = :pk AND sk > :v", "pk = :pk AND sk < :v", "pk = :pk AND sk <= :v",
        "pk = :pk AND sk >= :v", "pk = :pk AND sk = :v", "pk = :pk AND sk BETWEEN :lo AND :hi",
        "#p = :pk AND #k > :v",
    ]
    BAD_KEY_CONDITIONS = [
        "sk = :v", "pk > :pk", "pk = :pk OR sk = :v", "pk = :pk AND begins_with(sk, :v)",
        "pk = :pk AND n = :v", "pk = :pk AND sk <> :v", "pk = :pk AND pk = :pk", "pk = ",
        "pk = :pk AND sk IN (:v)",
    ]

    def query(self):
        bad = self.chance(0.1)
        kce = self.pick(self.BAD_KEY_CONDITIONS if bad else self.KEY_CONDITIONS)
        body = {"TableName": self.maybe_missing("{T1}"), "KeyConditionExpression": kce}
        exprs = [kce]
        if self.chance(0.35):
            body["FilterExpression"] = self.condition(0.05)
            exprs.append(body["FilterExpression"])
        if self.chance(0.5):
            body["Limit"] = self.r.randint(0 if self.chance(0.05) else 1, 4)
        if self.chance(0.4):
            body["ScanIndexForward"] = self.chance(0.5)
        if self.chance(0.05):
            body["ExclusiveStartKey"] = self.pick([
                {"pk": {"S": self.pick(PKS)}, "sk": {"N": self.pick(SKS)}},
                {"pk": {"S": self.pick(PKS)}}, {"id": {"S": "x"}},
                {"pk": {"S": "zz"}, "sk": {"N": "1"}}])
        if self.chance(0.2):
            body["Select"] = self.pick(["COUNT", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES"])
        elif self.chance(0.2):
            body["ProjectionExpression"] = self.pick(["n, sk", "pk, m.y"])
            exprs.append(body["ProjectionExpression"])
        body.update(self.expression_parts(*exprs))
        values = body.setdefault("ExpressionAttributeValues", {})
        if ":pk" in values:
            values[":pk"] = {"S": self.pick(PKS)}
        for tok in (":v", ":lo", ":hi"):
            if tok in values and ("sk" in kce or "#k" in kce) and self.chance(0.9):
                values[tok] = {"N": self.pick(SKS)}
        if "#p" in kce:
            body.setdefault("ExpressionAttributeNames", {}).update({"#p": "pk", "#k": "sk"})
        if not values:
            del body["ExpressionAttributeValues"]
        return {"kind": "query", "target": "Query", "body": body, "page": True}

    def legacy_query(self):
        body = {"TableName": "{T1}", "KeyConditions": {
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": self.pick(PKS)}]}}}
        if self.chance(0.5):
            body["KeyConditions"]["sk"] = self.pick([
                {"ComparisonOperator": "GT", "AttributeValueList": [{"N": self.pick(SKS)}]},
                {"ComparisonOperator": "BETWEEN",
                 "AttributeValueList": [{"N": "2"}, {"N": "4"}]},
                {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]},
            ])
        if self.chance(0.4):
            body["QueryFilter"] = {"n": {"ComparisonOperator": "GE",
                                         "AttributeValueList": [self.num()]}}
            if self.chance(0.5):
                body["QueryFilter"]["s"] = {"ComparisonOperator": "NOT_NULL"}
                body["ConditionalOperator"] = self.pick(["AND", "OR"])
        if self.chance(0.3):
            body["AttributesToGet"] = ["pk", "n"]
        if self.chance(0.1):
            body["FilterExpression"] = "n > :v"  # legacy and expression mixed: refused
            body["ExpressionAttributeValues"] = {":v": {"N": "1"}}
        if self.chance(0.5):
            body["Limit"] = self.r.randint(1, 3)
        return {"kind": "legacy-query", "target": "Query", "body": body, "page": True}

    def scan(self):
        table = self.pick(["{T1}", "{T2}"])
        body = {"TableName": self.maybe_missing(table)}
        exprs = []
        if self.chance(0.4):
            body["FilterExpression"] = self.condition(0.05)
            exprs.append(body["FilterExpression"])
        elif self.chance(0.1):
            body["ScanFilter"] = {"n": {"ComparisonOperator": self.pick(["GT", "LE", "NULL"]),
                                        "AttributeValueList": [self.num()]}}
        if self.chance(0.5):
            body["Limit"] = self.r.randint(1, 5)
        if self.chance(0.2):
            body["Select"] = "COUNT"
        elif self.chance(0.2):
            body["ProjectionExpression"] = self.pick(["n", "s, ss"])
            exprs.append(body["ProjectionExpression"])
        body.update(self.expression_parts(*exprs))
        if self.chance(0.4):
            body["TotalSegments"] = self.r.randint(1, 4)
        if self.chance(0.03):
            body["TotalSegments"] = self.pick([0, 1000001])
            body["Segment"] = 0
        return {"kind": "scan", "target": "Scan", "body": body, "scan": True}

    def batch_get(self):
        request = {}
        for table, keyf in (("{T1}", self.t1_key), ("{T2}", self.t2_key)):
            if self.chance(0.7):
                keys = []
                for _ in range(self.r.randint(1, 4)):
                    k = keyf()
                    if canon(k) not in map(canon, keys) or self.chance(0.1):
                        keys.append(k)
                entry = {"Keys": keys}
                if self.chance(0.3):
                    entry["ProjectionExpression"] = "n, s"
                request[table] = entry
        if not request or self.chance(0.05):
            request["{MISSING}"] = {"Keys": [{"id": {"S": "x"}}]}
        return {"kind": "batch-get", "target": "BatchGetItem", "body": {"RequestItems": request}}

    def batch_write(self):
        request = {}
        count = 26 if self.chance(0.03) else None
        for table, keyf in (("{T1}", self.t1_key), ("{T2}", self.t2_key)):
            if self.chance(0.7):
                ops, seen = [], set()
                for _ in range(count or self.r.randint(1, 5)):
                    key = keyf()
                    if canon(key) in seen and not self.chance(0.1):
                        continue
                    seen.add(canon(key))
                    if self.chance(0.7):
                        item = dict(key)
                        item.update(self.attributes())
                        ops.append({"PutRequest": {"Item": item}})
                    else:
                        ops.append({"DeleteRequest": {"Key": key}})
                request[table] = ops
        if not request:
            request["{T2}"] = [{"PutRequest": {"Item": self.t2_key()}}]
        return {"kind": "batch-write", "target": "BatchWriteItem",
                "body": {"RequestItems": request}}

    def control(self):
        choice = self.r.randint(0, 8)
        if choice == 0:
            return {"kind": "describe", "target": "DescribeTable",
                    "body": {"TableName": self.pick(["{T1}", "{T2}", "{MISSING}"])}}
        if choice == 1:
            return {"kind": "list-tables", "target": "ListTables",
                    "body": {"ExclusiveStartTableName": "{PREFIX}", "Limit": self.r.randint(1, 3)},
                    "list": True}
        if choice == 2:
            return {"kind": "recreate", "target": "RECREATE_T2", "body": {}}
        if choice == 3:
            return {"kind": "tags", "target": "TagResource",
                    "body": {"ResourceArn": "{ARN:T1}",
                             "Tags": [{"Key": self.pick(["k1", "k2"]), "Value": self.pick(STRINGS)}]}}
        if choice == 4:
            return {"kind": "tags", "target": "UntagResource",
                    "body": {"ResourceArn": "{ARN:T1}", "TagKeys": [self.pick(["k1", "k2", "k3"])]}}
        if choice == 5:
            return {"kind": "tags", "target": "ListTagsOfResource",
                    "body": {"ResourceArn": "{ARN:T1}"}}
        if choice == 6:
            return {"kind": "limits", "target": "DescribeLimits", "body": {}}
        if choice == 7:
            return {"kind": "update-table", "target": "UpdateTable",
                    "body": {"TableName": "{T2}", "BillingMode": "PAY_PER_REQUEST"}}
        return {"kind": "create-existing", "target": "CreateTable", "body": t1_schema("{T1}")}

    def raw(self):
        return self.pick([
            {"kind": "malformed-json", "target": "GetItem", "raw": "{\"TableName\": "},
            {"kind": "not-an-object", "target": "GetItem", "raw": "[1, 2]"},
            {"kind": "unknown-operation", "target": "Frobnicate", "raw": "{}"},
            {"kind": "wrong-field-type", "target": "GetItem",
             "raw": "{\"TableName\": 5, \"Key\": {}}"},
            {"kind": "missing-field", "target": "PutItem", "raw": "{\"TableName\": \"{T1}\"}"},
            {"kind": "empty-body", "target": "GetItem", "raw": ""},
            {"kind": "wrong-json-type", "target": "GetItem",
             "raw": "{\"TableName\": \"{T1}\", \"Key\": \"notamap\"}"},
            {"kind": "wrong-json-type", "target": "GetItem",
             "raw": "{\"TableName\": \"{T1}\", \"Key\": " + T1_KEY + ", \"ConsistentRead\": \"yes\"}"},
            # A read: a coerced write would leave DynamoDB Local with an item the candidate
            # refused, and every later read of it would differ.
            {"kind": "lax-json-type", "target": "GetItem",
             "raw": "{\"TableName\": \"{T1}\", \"Key\": {\"pk\": {\"S\": \"a\"}, "
                    "\"sk\": {\"N\": 1}}}"},
            {"kind": "lax-json-type", "target": "Query",
             "raw": "{\"TableName\": \"{T1}\", \"KeyConditionExpression\": \"pk = :p\", "
                    "\"ExpressionAttributeValues\": {\":p\": {\"S\": \"a\"}}, \"Limit\": \"2\"}"},
            {"kind": "bad-enum", "target": "GetItem",
             "raw": "{\"TableName\": \"{T1}\", \"Key\": " + T1_KEY + ", "
                    "\"ReturnConsumedCapacity\": \"ALL\"}"},
            {"kind": "unknown-field", "target": "GetItem",
             "raw": "{\"TableName\": \"{T1}\", \"Key\": " + T1_KEY + ", \"Bogus\": 1}"},
        ])

    TRANSACT_KINDS = ["Put", "Update", "Delete", "ConditionCheck"]

    def transact_write(self):
        """TransactWriteItems on T1: half of them on one partition key (one partition database
        of the candidate: one commit), half on any keys (usually several partitions: the
        protocol across partitions, docs/dynamodb.md). Duplicate items, failing conditions, bad
        keys, missing tables and bad expressions among them."""
        one_pk = self.spread_r.random() < 0.5
        pk = self.pick(PKS)
        actions = []
        for _ in range(self.r.randint(0 if self.chance(0.03) else 1, 4)):
            if not one_pk:
                pk = self.spread_r.choice(PKS)
            key = self.maybe_bad_key({"pk": {"S": pk}, "sk": {"N": self.pick(SKS)}})
            kind = self.pick(self.TRANSACT_KINDS)
            if kind == "Put":
                item = dict(key)
                item.update(self.attributes())
                action = {"TableName": "{T1}", "Item": item}
            else:
                action = {"TableName": "{T1}", "Key": key}
            if self.chance(0.03):
                action["TableName"] = "{MISSING}"
            exprs = []
            if kind == "Update":
                action["UpdateExpression"] = self.pick(
                    self.BAD_UPDATES if self.chance(0.05) else self.UPDATES)
                exprs.append(action["UpdateExpression"])
            if kind == "ConditionCheck" or self.chance(0.5):
                action["ConditionExpression"] = self.condition(0.05)
                exprs.append(action["ConditionExpression"])
                if self.chance(0.3):
                    action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            action.update(self.expression_parts(*exprs))
            actions.append({kind: action})
        body = {"TransactItems": actions}
        body.update(self.capacity())
        return {"kind": "transact-write", "target": "TransactWriteItems", "body": body}

    def transact_get(self):
        """TransactGetItems over both tables (reads may span partitions)."""
        gets = []
        for _ in range(self.r.randint(1, 4)):
            table, key = self.table_and_key()
            get = {"TableName": self.maybe_missing(table), "Key": key}
            if self.chance(0.3):
                get["ProjectionExpression"] = self.pick(["n", "s, n", "m.y.z", "l[0], n", "#n"])
                if "#n" in get["ProjectionExpression"]:
                    get["ExpressionAttributeNames"] = {"#n": "n"}
            gets.append({"Get": get})
        body = {"TransactItems": gets}
        body.update(self.capacity())
        return {"kind": "transact-get", "target": "TransactGetItems", "body": body}

    def operation(self):
        roll = self.r.random()
        for limit, make in ((0.20, self.put), (0.32, self.get), (0.50, self.update),
                            (0.57, self.delete), (0.66, self.query), (0.70, self.legacy_query),
                            (0.77, self.scan), (0.81, self.batch_get), (0.85, self.batch_write),
                            (0.91, self.transact_write), (0.94, self.transact_get),
                            (0.98, self.control), (0.995, self.raw)):
            if roll < limit:
                return make()
        return self.oversize_put()


def t1_schema(name):
    return {"TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST"}


def t2_schema(name):
    return {"TableName": name,
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}


# --- running a sequence ----------------------------------------------------------------------


class Run:
    """One sequence against both endpoints, on tables of its own."""

    def __init__(self, endpoints, prefix):
        self.endpoints = endpoints
        self.prefix = prefix
        self.tables = {"T1": prefix + "-t1", "T2": prefix + "-t2",
                       "MISSING": prefix + "-missing", "PREFIX": prefix}

    def resolve(self, text, endpoint):
        text = re.sub(r"\{ARN:(T[12])\}",
                      lambda m: endpoint.arns.get(self.tables[m.group(1)], "arn:unknown"), text)
        return re.sub(r"\{(T1|T2|MISSING|PREFIX)\}", lambda m: self.tables[m.group(1)], text)

    def call(self, endpoint, target, body):
        data = body if isinstance(body, str) else json.dumps(body)
        status, raw = endpoint.send(target, self.resolve(data, endpoint).encode())
        return status, decode(raw)

    def learn_arn(self, endpoint, status, body):
        desc = body.get("TableDescription") if isinstance(body, dict) else None
        if status == 200 and isinstance(desc, dict) and "TableArn" in desc:
            endpoint.arns[desc["TableName"]] = desc["TableArn"]

    def setup(self):
        answers = []
        for ep in self.endpoints:
            got = []
            for schema in (t1_schema("{T1}"), t2_schema("{T2}")):
                status, body = self.call(ep, "CreateTable", schema)
                self.learn_arn(ep, status, body)
                got.append(normalise("CreateTable", status, body))
            answers.append(got)
        return answers * (3 - len(answers))  # one endpoint (--self-test): its answers twice

    def teardown(self):
        for ep in self.endpoints:
            for t in ("{T1}", "{T2}"):
                self.call(ep, "DeleteTable", {"TableName": t})

    def answers(self, op, self_test):
        """Both endpoints' answers to op; with --self-test on one endpoint, its answer and that
        answer perturbed."""
        got = [self.execute(ep, op) for ep in self.endpoints]
        if len(got) == 1:
            got.append(got[0])
        if self_test:
            got[1] = perturb(op, got[1])
        return got

    def execute(self, endpoint, op):
        """One operation on one endpoint, as a normalised answer (paged ones to the end)."""
        target, body = op["target"], op.get("raw", op.get("body"))
        if target == "RECREATE_T2":
            out = []
            for t, b in (("DeleteTable", {"TableName": "{T2}"}), ("CreateTable", t2_schema("{T2}")),
                         ("Scan", {"TableName": "{T2}"})):
                status, resp = self.call(endpoint, t, b)
                self.learn_arn(endpoint, status, resp)
                out.append(normalise(t, status, resp))
            return out
        if op.get("scan"):
            return self.scan_all(endpoint, body)
        if op.get("page") or op.get("list"):
            return self.pages(endpoint, target, body, op.get("list", False))
        status, resp = self.call(endpoint, target, body)
        if target == "DeleteItem" and endpoint is self.endpoints[0] and \
                isinstance(body, dict) and body.get("ReturnConsumedCapacity", "NONE") == "NONE" \
                and isinstance(resp, dict):
            # DynamoDB Local answers DeleteItem with ConsumedCapacity nobody asked for.
            resp.pop("ConsumedCapacity", None)
        return normalise(target, status, resp)

    def pages(self, endpoint, target, body, is_list):
        """Query (ordered): every page, as it comes. ListTables: this run's tables over all
        pages (other tables on the server, and so where pages end, are not ours to compare)."""
        out, names, body = [], [], copy.deepcopy(body)
        for _ in range(60):
            status, resp = self.call(endpoint, target, body)
            if is_list:
                if status != 200:
                    return normalise(target, status, resp)
                page = resp.get("TableNames", [])
                names += [t for t in page if t.startswith(self.prefix)]
                if "LastEvaluatedTableName" not in resp or not page or \
                        not page[-1].startswith(self.prefix):
                    return {"status": 200, "body": {"TableNames": names}}
                body["ExclusiveStartTableName"] = resp["LastEvaluatedTableName"]
                continue
            out.append(normalise(target, status, resp))
            if status != 200 or "LastEvaluatedKey" not in resp:
                break
            body["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        # DynamoDB may name a LastEvaluatedKey when a page stops at Limit with nothing left;
        # the empty page that follows adds nothing: compare as if the last key were absent.
        while len(out) > 1 and out[-1].get("status") == 200 and \
                out[-1]["body"].get("Count") == 0 and "LastEvaluatedKey" not in out[-1]["body"]:
            out.pop()
            out[-1]["body"].pop("LastEvaluatedKey", None)
        return out

    def scan_all(self, endpoint, body):
        """Scan is unordered across partitions and segments: every segment to the end, then
        the items as a sorted list and the counts as totals."""
        total = body.get("TotalSegments")
        segments = range(total) if isinstance(total, int) and 1 <= total <= 4 else [None]
        items, count, scanned, pages = [], 0, 0, 0
        for seg in segments:
            req = copy.deepcopy(body)
            if seg is not None:
                req["Segment"] = seg
            for _ in range(100):
                status, resp = self.call(endpoint, "Scan", req)
                pages += 1
                if status != 200:
                    return normalise("Scan", status, resp)
                items.extend(resp.get("Items", []))
                count += resp.get("Count", 0)
                scanned += resp.get("ScannedCount", 0)
                if "LastEvaluatedKey" not in resp:
                    break
                req["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        items = nested_numbers(sort_sets(items))
        return {"status": 200, "body": {"Items": sorted(items, key=canon),
                                        "Count": count, "ScannedCount": scanned}}


def differs(answers):
    return canon(answers[0]) != canon(answers[1])


# --- the allow-list --------------------------------------------------------------------------


def load_allow_list(path):
    """Lines `kind | reference regex | candidate regex | why`; the regexes match
    "STATUS ERROR: MESSAGE" of each side's (first) answer. '#' starts a comment line."""
    entries = []
    if not path or not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4:
                sys.exit(f"differential: {path}:{n}: want 'kind | ref | cand | why'")
            entries.append((parts[0], re.compile(parts[1]), re.compile(parts[2]), parts[3]))
    return entries


def summary(answer):
    a = answer[0] if isinstance(answer, list) and answer else answer
    if not isinstance(a, dict):
        return str(a)
    if "error" in a:
        return f"{a['status']} {a['error']}: {a.get('message')}"
    return f"{a['status']} OK"


def allowed(allow, op, answers):
    for kind, ref, cand, why in allow:
        if kind in (op["kind"], "*") and ref.search(summary(answers[0])) and \
                cand.search(summary(answers[1])):
            return why
    return None


# --- the driver ------------------------------------------------------------------------------


def replay(endpoints, ops, prefix, allow, self_test=False):
    """Runs ops on fresh tables; returns (index, answers) of the first unexpected difference,
    or None. Setup differences count as index -1."""
    run = Run(endpoints, prefix)
    try:
        setup = run.setup()
        if differs(setup):
            return -1, setup
        for i, op in enumerate(ops):
            answers = run.answers(op, self_test)
            if differs(answers) and not allowed(allow, op, answers):
                return i, answers
        return None
    finally:
        run.teardown()


def perturb(op, answer):
    """--self-test: what a candidate that got one thing wrong would answer."""
    body = op.get("body") if isinstance(op.get("body"), dict) else {}
    if op["target"] == "UpdateItem" and body.get("ReturnValues") == "ALL_NEW" and \
            isinstance(answer, dict) and answer.get("status") == 200:
        answer = copy.deepcopy(answer)
        answer["body"]["Attributes"] = {"perturbed": {"BOOL": True}}
    return answer


def shrink(endpoints, ops, prefix, allow, budget_seconds, self_test):
    """Delta debugging, bounded: drops chunks of the sequence while the last operation still
    differs. Returns the shortest sequence found."""
    deadline = time.monotonic() + budget_seconds
    target = ops[-1]
    prefix_ops = ops[:-1]
    trial = [0]

    def still_fails(candidate):
        trial[0] += 1
        found = replay(endpoints, candidate + [target], f"{prefix}-s{trial[0]}", allow,
                       self_test)
        return found is not None and found[0] == len(candidate)

    chunk = max(1, len(prefix_ops) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        i, removed = 0, False
        while i < len(prefix_ops) and time.monotonic() < deadline:
            candidate = prefix_ops[:i] + prefix_ops[i + chunk:]
            if still_fails(candidate):
                prefix_ops, removed = candidate, True
            else:
                i += chunk
        if not removed:
            chunk //= 2
    return prefix_ops + [target]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock, printed")
    ap.add_argument("--ops", type=int, default=500, help="operations to generate (500)")
    ap.add_argument("--max-seconds", type=float, default=300, help="stop generating after (300)")
    ap.add_argument("--allow", default=os.path.join(HERE, "known-differences.txt"))
    ap.add_argument("--replay", help="a JSON sequence printed or saved by an earlier run")
    ap.add_argument("--save", help="write the minimal failing sequence to this file")
    ap.add_argument("--keep-going", action="store_true",
                    help="report every difference instead of stopping at the first")
    ap.add_argument("--shrink-seconds", type=float, default=120)
    ap.add_argument("--self-test", action="store_true",
                    help="perturb the candidate's answers to UpdateItem with ReturnValues "
                         "ALL_NEW, to show that differences are found, reported and shrunk; "
                         "with both endpoints the same, only the reference is asked")
    args = ap.parse_args()

    ref_url = os.environ.get("CLOUDLITE_DDB_REFERENCE") or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    cand_url = os.environ.get("CLOUDLITE_DDB_CANDIDATE")
    if not ref_url or not cand_url:
        sys.exit("differential: set CLOUDLITE_DDB_REFERENCE (or AWS_ENDPOINT_URL_DYNAMODB) and "
                 "CLOUDLITE_DDB_CANDIDATE")
    endpoints = [Endpoint(ref_url, "reference"), Endpoint(cand_url, "candidate")]
    if args.self_test and ref_url == cand_url:
        endpoints = endpoints[:1]  # the candidate's answers are the reference's, perturbed
    allow = load_allow_list(args.allow)
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1_000_000_007
    prefix = f"cldiff-{seed}-{os.getpid()}"
    print(f"differential: seed {seed}, reference {ref_url}, candidate {cand_url}", flush=True)

    if args.replay:
        with open(args.replay, encoding="utf-8") as f:
            ops = json.load(f)
    else:
        gen = Gen(seed)
        ops = [gen.operation() for _ in range(args.ops)]

    run = Run(endpoints, prefix)
    started = time.monotonic()
    done, known, unexpected, first, outcomes = 0, {}, [], None, {}
    try:
        setup = run.setup()
        if differs(setup):
            print("differential: CreateTable answers differ:\n" + json.dumps(setup, indent=1))
            return 1
        for i, op in enumerate(ops):
            if time.monotonic() - started > args.max_seconds:
                print(f"differential: time bound {args.max_seconds} s reached", flush=True)
                break
            answers = run.answers(op, args.self_test)
            done += 1
            outcome = summary(answers[0]).split(":")[0]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if not differs(answers):
                continue
            why = allowed(allow, op, answers)
            if why:
                known[why] = known.get(why, 0) + 1
                continue
            unexpected.append(i)
            print(f"--- difference at operation {i} ({op['kind']}, {op['target']}):")
            print("request:   " + json.dumps(op)[:2000])
            print("reference: " + json.dumps(answers[0])[:2000])
            print("candidate: " + json.dumps(answers[1])[:2000], flush=True)
            if first is None:
                first = i
            if not args.keep_going:
                break
    finally:
        run.teardown()

    elapsed = time.monotonic() - started
    print(f"differential: seed {seed}: {done} operations in {elapsed:.1f} s, "
          f"{len(unexpected)} unexpected differences, {sum(known.values())} known")
    for why, n in sorted(known.items()):
        print(f"  known x{n}: {why}")
    print("  reference outcomes: " + ", ".join(f"{k} x{n}" for k, n in
                                              sorted(outcomes.items(), key=lambda kv: -kv[1])))
    if first is None:
        return 0
    minimal = shrink(endpoints, ops[: first + 1], prefix, allow, args.shrink_seconds,
                     args.self_test)
    text = json.dumps(minimal, indent=1)
    print(f"differential: minimal sequence ({len(minimal)} of {first + 1} operations); replay "
          f"with --replay FILE (--seed {seed} --ops {first + 1} regenerates the original):")
    print(text[:20000])
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            f.write(text)
    return 1


if __name__ == "__main__":
    sys.exit(main())
