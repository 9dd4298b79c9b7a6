#!/usr/bin/env python3
"""boto3 against a DynamoDB endpoint ($CLOUDLITE_DDB_ENDPOINT): the low-level client and the
resource (Table) API, the legacy parameters (AttributeUpdates, Expected, AttributesToGet,
KeyConditions, QueryFilter, ScanFilter, ConditionalOperator) and the error cases
(ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure, ValidationException,
ResourceNotFoundException), TransactWriteItems/TransactGetItems. Every answer is checked. CLOUDLITE_DDB_IS_DYNAMODB_LOCAL=1 accepts
DynamoDB Local's lack of tagging. Tables are named clboto-<pid>-*, deleted at the end."""

import decimal
import os
import sys

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("CLOUDLITE_DDB_ENDPOINT") or sys.exit("set CLOUDLITE_DDB_ENDPOINT")
IS_LOCAL = os.environ.get("CLOUDLITE_DDB_IS_DYNAMODB_LOCAL") == "1"
PREFIX = f"clboto-{os.getpid()}"
SESSION = boto3.session.Session(
    aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "cloudlitelocal"),
    aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "cloudlitelocal"),
    region_name="us-east-1")
CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                read_timeout=30)
client = SESSION.client("dynamodb", endpoint_url=ENDPOINT, config=CONFIG)
resource = SESSION.resource("dynamodb", endpoint_url=ENDPOINT, config=CONFIG)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def fails(code, fn, *args, message=None, **kwargs):
    """fn must fail with error `code` (and a message containing `message`); returns the error
    response."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        err = e.response["Error"]
        eq(err["Code"], code, f"{fn.__name__} error")
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 400, f"{fn.__name__} status")
        if message:
            check(message.lower() in err["Message"].lower(), f"{fn.__name__} message {err['Message']!r} lacks "
                  f"{message!r}")
        return e.response
    raise AssertionError(f"{fn.__name__}({str(kwargs)[:300]}) succeeded, want {code}")


def create_tables():
    client.create_table(
        TableName=f"{PREFIX}-range",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST")
    table = resource.create_table(
        TableName=f"{PREFIX}-hash",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    table.wait_until_exists()
    client.get_waiter("table_exists").wait(TableName=f"{PREFIX}-range")
    desc = client.describe_table(TableName=f"{PREFIX}-range")["Table"]
    eq(desc["TableStatus"], "ACTIVE", "table status")
    eq(desc["ItemCount"], 0, "item count")
    eq(desc["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST", "billing mode")
    check(desc["TableArn"].endswith(f":table/{PREFIX}-range"), "table ARN")


def low_level_client():
    t = f"{PREFIX}-range"
    for i in range(1, 6):
        client.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)},
                                           "n": {"N": str(i * 10)}, "s": {"S": f"v{i}"}})
    # Conditional put, ReturnValues ALL_OLD.
    old = client.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": "1"}, "n": {"N": "11"}},
                          ConditionExpression="n = :ten",
                          ExpressionAttributeValues={":ten": {"N": "10"}}, ReturnValues="ALL_OLD")
    eq(old["Attributes"]["s"], {"S": "v1"}, "put ALL_OLD")
    # A failing condition returns the item with ReturnValuesOnConditionCheckFailure.
    resp = fails("ConditionalCheckFailedException", client.put_item, TableName=t,
                 Item={"pk": {"S": "p"}, "sk": {"N": "2"}},
                 ConditionExpression="attribute_not_exists(pk)",
                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
    eq(resp["Item"]["n"], {"N": "20"}, "ReturnValuesOnConditionCheckFailure item")
    # Exact decimal arithmetic, 38 digits.
    got = client.update_item(
        TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET big = :a + :b, n = n - :one, c = if_not_exists(c, :one)",
        ExpressionAttributeValues={":a": {"N": "1234567890123456789012345678901234567"},
                                   ":b": {"N": "0.1"}, ":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW")
    eq(got["Attributes"]["big"], {"N": "1234567890123456789012345678901234567.1"}, "38 digits")
    eq(got["Attributes"]["n"], {"N": "29"}, "SET n - 1")
    eq(got["Attributes"]["c"], {"N": "1"}, "if_not_exists")
    fails("ValidationException", client.update_item, TableName=t,
          Key={"pk": {"S": "p"}, "sk": {"N": "3"}}, UpdateExpression="SET big = :a + :b",
          ExpressionAttributeValues={":a": {"N": "1234567890123456789012345678901234567"},
                                     ":b": {"N": "0.01"}}, message="38 digits")
    got = client.update_item(
        TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET l = list_append(if_not_exists(l, :e), :x), m = :m REMOVE s",
        ExpressionAttributeValues={":e": {"L": []}, ":x": {"L": [{"S": "a"}, {"S": "b"}]},
                                   ":m": {"M": {"deep": {"M": {"v": {"N": "1"}}}}}},
        ReturnValues="ALL_NEW")
    eq(got["Attributes"]["l"], {"L": [{"S": "a"}, {"S": "b"}]}, "list_append")
    check("s" not in got["Attributes"], "REMOVE s")
    got = client.update_item(
        TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
        UpdateExpression="SET m.deep.v = m.deep.v + :one, l[0] = :z REMOVE l[1] ADD ns :ns",
        ExpressionAttributeValues={":one": {"N": "1"}, ":z": {"S": "z"}, ":ns": {"NS": ["1", "2"]}},
        ReturnValues="ALL_NEW")["Attributes"]
    eq(got["m"]["M"]["deep"]["M"]["v"], {"N": "2"}, "nested SET")
    eq(got["l"], {"L": [{"S": "z"}]}, "list index SET and REMOVE")
    eq(sorted(got["ns"]["NS"]), ["1", "2"], "ADD to a new set")
    got = client.update_item(TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
                             UpdateExpression="DELETE ns :one",
                             ExpressionAttributeValues={":one": {"NS": ["1"]}},
                             ReturnValues="UPDATED_OLD")
    eq(sorted(got["Attributes"]["ns"]["NS"]), ["1", "2"], "DELETE UPDATED_OLD")
    # GetItem with ProjectionExpression and reserved words through names.
    item = client.get_item(TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "3"}},
                           ProjectionExpression="#n, m.deep, ns", ConsistentRead=True,
                           ExpressionAttributeNames={"#n": "n"})["Item"]
    eq(sorted(item), ["m", "n", "ns"], "projection")
    eq(item["ns"], {"NS": ["2"]}, "set after DELETE")
    # Query: every key condition operator, both directions, paging, COUNT.
    def sks(**kw):
        return [i["sk"]["N"] for i in client.query(TableName=t, **kw)["Items"]]
    vals = {":p": {"S": "p"}, ":a": {"N": "2"}, ":b": {"N": "4"}}
    eq(sks(KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
           ExpressionAttributeValues=vals), ["2", "3", "4"], "BETWEEN")
    eq(sks(KeyConditionExpression="pk = :p AND sk < :a",
           ExpressionAttributeValues={":p": vals[":p"], ":a": vals[":a"]}), ["1"], "<")
    eq(sks(KeyConditionExpression="pk = :p AND sk >= :b", ScanIndexForward=False,
           ExpressionAttributeValues={":p": vals[":p"], ":b": vals[":b"]}), ["5", "4"], ">= desc")
    pages = list(client.get_paginator("query").paginate(
        TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": vals[":p"]},
        PaginationConfig={"PageSize": 2}))
    eq([len(p["Items"]) for p in pages], [2, 2, 1], "query pages")
    eq(client.query(TableName=t, KeyConditionExpression="pk = :p", Select="COUNT",
                    FilterExpression="n > :x",
                    ExpressionAttributeValues={":p": vals[":p"], ":x": {"N": "25"}})["Count"], 3,
       "query COUNT with a filter")
    # Scan in 4 segments, paged by the paginator.
    seen = []
    for seg in range(4):
        for page in client.get_paginator("scan").paginate(
                TableName=t, Segment=seg, TotalSegments=4, PaginationConfig={"PageSize": 1}):
            seen += [i["sk"]["N"] for i in page["Items"]]
    eq(sorted(seen), ["1", "2", "3", "4", "5"], "parallel scan")
    # Batch: 25 puts, 100 gets, duplicates refused.
    h = f"{PREFIX}-hash"
    for start in range(0, 100, 25):
        out = client.batch_write_item(RequestItems={h: [
            {"PutRequest": {"Item": {"id": {"S": f"k{i:03}"}, "v": {"N": str(i)}}}}
            for i in range(start, start + 25)]})
        eq(out["UnprocessedItems"], {}, "UnprocessedItems")
    got = client.batch_get_item(RequestItems={h: {"Keys": [{"id": {"S": f"k{i:03}"}}
                                                            for i in range(100)]}})
    total = len(got["Responses"][h])
    while got["UnprocessedKeys"]:
        got = client.batch_get_item(RequestItems=got["UnprocessedKeys"])
        total += len(got["Responses"].get(h, []))
    eq(total, 100, "batch get of 100 keys")
    fails("ValidationException", client.batch_write_item, RequestItems={h: [
        {"PutRequest": {"Item": {"id": {"S": "dup"}}}},
        {"DeleteRequest": {"Key": {"id": {"S": "dup"}}}}]}, message="duplicates")
    fails("ValidationException", client.batch_write_item, RequestItems={h: [
        {"PutRequest": {"Item": {"id": {"S": f"x{i}"}}}} for i in range(26)]})
    fails("ValidationException", client.batch_get_item, RequestItems={h: {"Keys": [
        {"id": {"S": f"x{i}"}} for i in range(101)]}})
    old = client.delete_item(TableName=h, Key={"id": {"S": "k000"}}, ReturnValues="ALL_OLD")
    eq(old["Attributes"]["v"], {"N": "0"}, "delete ALL_OLD")
    eq(client.describe_table(TableName=h)["Table"]["ItemCount"], 99, "item count")


def one_megabyte_pages():
    """Query and Scan stop a page at 1 MB: four items of 350 KB need more than one page, and
    paging to the end returns each once."""
    t = f"{PREFIX}-range"
    for i in range(4):
        client.put_item(TableName=t, Item={"pk": {"S": "big"}, "sk": {"N": str(i)},
                                           "blob": {"S": str(i) * 350_000}})
    pages = list(client.get_paginator("query").paginate(
        TableName=t, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "big"}}))
    check(len(pages) >= 2, f"a 1.4 MB query came in {len(pages)} page(s)")
    eq([i["sk"]["N"] for p in pages for i in p["Items"]], ["0", "1", "2", "3"], "query pages")
    check(all(len(p["Items"]) <= 3 for p in pages), "a query page holds more than 1 MB")
    seen = [i["sk"]["N"] for p in client.get_paginator("scan").paginate(
        TableName=t, FilterExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}})
        for i in p["Items"]]
    eq(sorted(seen), ["0", "1", "2", "3"], "scan pages")
    for i in range(4):
        client.delete_item(TableName=t, Key={"pk": {"S": "big"}, "sk": {"N": str(i)}})


def legacy_parameters():
    t = f"{PREFIX}-range"
    key = {"pk": {"S": "legacy"}, "sk": {"N": "1"}}
    client.put_item(TableName=t, Item={**key, "n": {"N": "1"}}, Expected={"pk": {"Exists": False}})
    fails("ConditionalCheckFailedException", client.put_item, TableName=t, Item=key,
          Expected={"pk": {"Exists": False}})
    # The YCSB DynamoDB binding's update: AttributeUpdates PUT, plus ADD and DELETE.
    got = client.update_item(TableName=t, Key=key, AttributeUpdates={
        "field0": {"Action": "PUT", "Value": {"S": "x" * 100}},
        "n": {"Action": "ADD", "Value": {"N": "5"}},
        "tags": {"Action": "ADD", "Value": {"SS": ["a", "b"]}}}, ReturnValues="ALL_NEW")
    eq(got["Attributes"]["n"], {"N": "6"}, "AttributeUpdates ADD")
    got = client.update_item(TableName=t, Key=key, AttributeUpdates={
        "tags": {"Action": "DELETE", "Value": {"SS": ["a"]}}, "field0": {"Action": "DELETE"}},
        Expected={"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "6"}]}},
        ReturnValues="ALL_NEW")
    eq(got["Attributes"]["tags"], {"SS": ["b"]}, "AttributeUpdates DELETE from a set")
    check("field0" not in got["Attributes"], "AttributeUpdates DELETE")
    fails("ConditionalCheckFailedException", client.update_item, TableName=t, Key=key,
          AttributeUpdates={"n": {"Action": "PUT", "Value": {"N": "0"}}},
          Expected={"n": {"Value": {"N": "7"}}, "tags": {"Exists": False}},
          ConditionalOperator="OR")
    item = client.get_item(TableName=t, Key=key, AttributesToGet=["n", "nosuch"])["Item"]
    eq(item, {"n": {"N": "6"}}, "AttributesToGet")
    got = client.query(TableName=t, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]}},
        QueryFilter={"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "40"}]}},
        AttributesToGet=["sk"])
    eq([i["sk"]["N"] for i in got["Items"]], ["2", "3"], "KeyConditions + QueryFilter")
    eq(got["ScannedCount"], 4, "ScannedCount before the filter")
    got = client.scan(TableName=t, ScanFilter={
        "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "5"}, {"N": "20"}]},
        "pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "leg"}]}},
        ConditionalOperator="AND")
    eq([i["pk"]["S"] for i in got["Items"]], ["legacy"], "ScanFilter")
    fails("ValidationException", client.query, TableName=t,
          KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
          QueryFilter={"n": {"ComparisonOperator": "NOT_NULL"}},
          message="Can not use both expression and non-expression parameters")
    fails("ValidationException", client.get_item, TableName=t, Key=key, AttributesToGet=["n"],
          ProjectionExpression="n", message="Can not use both expression and non-expression")


def validation_errors():
    t = f"{PREFIX}-range"
    key = {"pk": {"S": "p"}, "sk": {"N": "1"}}
    cases = [
        (client.update_item, dict(TableName=t, Key=key, UpdateExpression="SET n = :v"),
         "not defined"),
        (client.update_item, dict(TableName=t, Key=key, UpdateExpression="SET n = n +",
                                  ExpressionAttributeValues={":v": {"N": "1"}}), "Syntax error"),
        (client.update_item, dict(TableName=t, Key=key, UpdateExpression="SET status = :v",
                                  ExpressionAttributeValues={":v": {"N": "1"}}), "reserved keyword"),
        (client.update_item, dict(TableName=t, Key=key, UpdateExpression="SET n = :v",
                                  ExpressionAttributeValues={":v": {"N": "1"}, ":w": {"N": "2"}}),
         "unused"),
        (client.update_item, dict(TableName=t, Key=key, UpdateExpression="SET pk = :v",
                                  ExpressionAttributeValues={":v": {"S": "x"}}), "key"),
        (client.update_item, dict(TableName=t, Key={"pk": {"S": "p"}, "sk": {"N": "2"}},
                                  UpdateExpression="ADD s :v",
                                  ExpressionAttributeValues={":v": {"N": "1"}}), None),
        (client.get_item, dict(TableName=t, Key={"pk": {"S": "p"}}), None),
        (client.get_item, dict(TableName=t, Key={"pk": {"N": "1"}, "sk": {"N": "1"}}), "key"),
        (client.put_item, dict(TableName=t, Item={**key, "e": {"SS": []}}), None),
        (client.put_item, dict(TableName=t, Item={**key, "big": {"S": "x" * 409600}}), "size"),
        (client.put_item, dict(TableName=t, Item={**key, "n": {"N": "1e126"}}), None),
        (client.query, dict(TableName=t, KeyConditionExpression="sk = :v",
                            ExpressionAttributeValues={":v": {"N": "1"}}), None),
        (client.scan, dict(TableName=t, Segment=4, TotalSegments=4), None),
    ]
    for fn, kwargs, message in cases:
        fails("ValidationException", fn, message=message, **kwargs)
    for fn, kwargs in [(client.get_item, dict(TableName=f"{PREFIX}-nope", Key=key)),
                       (client.describe_table, dict(TableName=f"{PREFIX}-nope")),
                       (client.delete_table, dict(TableName=f"{PREFIX}-nope")),
                       (client.query, dict(TableName=f"{PREFIX}-nope",
                                           KeyConditionExpression="pk = :p",
                                           ExpressionAttributeValues={":p": {"S": "p"}}))]:
        fails("ResourceNotFoundException", fn, **kwargs)


def resource_api():
    table = resource.Table(f"{PREFIX}-hash")
    table.put_item(Item={"id": "doc", "count": 1, "price": decimal.Decimal("9.99"),
                         "tags": {"red", "blue"}, "nested": {"list": [1, "two", None, True]},
                         "blob": b"\x00\x01", "empty": ""})
    item = table.get_item(Key={"id": "doc"}, ConsistentRead=True)["Item"]
    eq(item["price"], decimal.Decimal("9.99"), "decimal")
    eq(item["tags"], {"red", "blue"}, "string set")
    eq(item["nested"], {"list": [1, "two", None, True]}, "nested document")
    eq(item["blob"].value, b"\x00\x01", "binary")
    eq(item["empty"], "", "empty string attribute")
    got = table.update_item(Key={"id": "doc"}, UpdateExpression="ADD #c :one",
                            ConditionExpression=Attr("count").lt(5) & Attr("tags").contains("red"),
                            ExpressionAttributeNames={"#c": "count"},
                            ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
    eq(got["Attributes"], {"count": 2}, "resource update")
    try:
        table.update_item(Key={"id": "doc"}, UpdateExpression="SET price = :p",
                          ConditionExpression=Attr("count").gt(10),
                          ExpressionAttributeValues={":p": 1},
                          ReturnValuesOnConditionCheckFailure="ALL_OLD")
        raise AssertionError("the condition should have failed")
    except table.meta.client.exceptions.ConditionalCheckFailedException as e:
        eq(e.response["Item"]["count"], {"N": "2"}, "modelled exception's item")
    # Key and Attr conditions on the range table, through the paginating helpers of the
    # resource API (batch_writer and query pages).
    rt = resource.Table(f"{PREFIX}-range")
    with rt.batch_writer() as batch:
        for i in range(30):
            batch.put_item(Item={"pk": "res", "sk": i, "even": i % 2 == 0, "name": f"n{i:02}"})
    items, kwargs = [], {"KeyConditionExpression": Key("pk").eq("res") & Key("sk").between(5, 24),
                         "FilterExpression": Attr("even").eq(True) & Attr("name").begins_with("n1"),
                         "Limit": 4}
    while True:
        page = rt.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    eq([int(i["sk"]) for i in items], [10, 12, 14, 16, 18], "resource query with a filter")
    got = rt.scan(FilterExpression=Attr("sk").is_in([3, 7]) & Attr("pk").eq("res"),
                  ProjectionExpression="sk")
    eq(sorted(int(i["sk"]) for i in got["Items"]), [3, 7], "resource scan")
    table.delete_item(Key={"id": "doc"}, ConditionExpression=Attr("count").eq(2))
    check("Item" not in table.get_item(Key={"id": "doc"}), "deleted")


def control_plane():
    h = f"{PREFIX}-hash"
    names = []
    kwargs = {"Limit": 1, "ExclusiveStartTableName": PREFIX}
    for _ in range(10):
        page = client.list_tables(**kwargs)
        names += [n for n in page["TableNames"] if n.startswith(PREFIX)]
        if not page["TableNames"] or not page["TableNames"][-1].startswith(PREFIX) or \
                "LastEvaluatedTableName" not in page:
            break
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
    eq(names, [f"{PREFIX}-hash", f"{PREFIX}-range"], "list_tables paging")
    client.update_table(TableName=h, BillingMode="PAY_PER_REQUEST")
    eq(client.describe_table(TableName=h)["Table"]["BillingModeSummary"]["BillingMode"],
       "PAY_PER_REQUEST", "update_table billing mode")
    limits = client.describe_limits()
    check(limits["TableMaxWriteCapacityUnits"] > 0, "describe_limits")
    arn = client.describe_table(TableName=h)["Table"]["TableArn"]
    try:
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"},
                                                   {"Key": "b", "Value": "2"}])
        client.untag_resource(ResourceArn=arn, TagKeys=["a"])
        eq(client.list_tags_of_resource(ResourceArn=arn)["Tags"], [{"Key": "b", "Value": "2"}],
           "tags")
    except ClientError as e:
        if not (IS_LOCAL and "Tagging is not currently supported" in str(e)):
            raise
        print("  (DynamoDB Local does not implement tagging: skipped)")
    # DeleteTable, then CreateTable of the same name: nothing of the old table.
    client.delete_table(TableName=h)
    client.get_waiter("table_not_exists").wait(TableName=h)
    resource.create_table(TableName=h,
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          BillingMode="PAY_PER_REQUEST").wait_until_exists()
    eq(client.scan(TableName=h)["Count"], 0, "scan of the re-created table")
    check("Item" not in client.get_item(TableName=h, Key={"id": {"S": "k001"}}), "old item")


def transactions():
    t, h = f"{PREFIX}-range", f"{PREFIX}-hash"

    def key(sk, pk="tx"):
        return {"pk": {"S": pk}, "sk": {"N": str(sk)}}

    def get(sk, pk="tx"):
        return client.get_item(TableName=t, Key=key(sk, pk), ConsistentRead=True).get("Item")

    # One partition key: one partition database, so the transaction is atomic on the server.
    client.put_item(TableName=t, Item={**key(2), "n": {"N": "1"}})
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": t, "Item": {**key(1), "s": {"S": "one"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": t, "Key": key(2), "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": t, "Key": key(3),
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ])
    eq(get(1)["s"], {"S": "one"}, "transaction's put")
    eq(get(2)["n"], {"N": "2"}, "transaction's update")
    check(get(3) is None, "a ConditionCheck writes nothing")

    # A failed condition cancels all: the reasons in order, the old item with ALL_OLD.
    err = fails("TransactionCanceledException", client.transact_write_items, TransactItems=[
        {"Delete": {"TableName": t, "Key": key(1)}},
        {"Put": {"TableName": t, "Item": {**key(2), "n": {"N": "100"}},
                 "ConditionExpression": "n > :big",
                 "ExpressionAttributeValues": {":big": {"N": "10"}},
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ])
    reasons = err["CancellationReasons"]
    eq([r["Code"] for r in reasons], ["None", "ConditionalCheckFailed"], "cancellation codes")
    eq(reasons[1]["Item"]["n"], {"N": "2"}, "the old item in the reason")
    check("[None, ConditionalCheckFailed]" in err["Error"]["Message"], "cancellation message")
    check(get(1) is not None and get(2)["n"] == {"N": "2"}, "a cancelled transaction wrote")

    fails("ValidationException", client.transact_write_items, TransactItems=[
        {"Delete": {"TableName": t, "Key": key(1)}},
        {"Put": {"TableName": t, "Item": key(1)}},
    ], message="multiple operations on one item")

    # ClientRequestToken: the same request again is answered without running again.
    inc = [{"Update": {"TableName": t, "Key": key(2), "UpdateExpression": "SET n = n + :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    client.transact_write_items(TransactItems=inc, ClientRequestToken=f"{PREFIX}-tok")
    client.transact_write_items(TransactItems=inc, ClientRequestToken=f"{PREFIX}-tok")
    eq(get(2)["n"], {"N": "3"}, "an idempotent transaction ran once")
    inc[0]["Update"]["ExpressionAttributeValues"][":one"] = {"N": "5"}
    fails("IdempotentParameterMismatchException", client.transact_write_items,
          TransactItems=inc, ClientRequestToken=f"{PREFIX}-tok")
    eq(get(2)["n"], {"N": "3"}, "a mismatched token wrote")

    # Reads: in order, across tables and partitions, {} for a missing item.
    client.put_item(TableName=h, Item={"id": {"S": "tx"}, "v": {"S": "hash"}})
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": t, "Key": key(2), "ProjectionExpression": "n"}},
        {"Get": {"TableName": t, "Key": key(9)}},
        {"Get": {"TableName": h, "Key": {"id": {"S": "tx"}}}},
    ])["Responses"]
    eq(got, [{"Item": {"n": {"N": "3"}}}, {}, {"Item": {"id": {"S": "tx"}, "v": {"S": "hash"}}}],
       "TransactGetItems responses")

    # Items in several partition databases (nine partition keys over eight partitions): the
    # protocol across partitions (docs/dynamodb.md "Transactions across partitions"), all or
    # nothing as on DynamoDB.
    spread = [{"Update": {"TableName": t, "Key": key(1, f"px{k}"),
                          "UpdateExpression": "ADD n :one",
                          "ExpressionAttributeValues": {":one": {"N": "1"}}}} for k in range(9)]
    client.transact_write_items(TransactItems=spread)
    eq([get(1, f"px{k}")["n"] for k in range(9)], [{"N": "1"}] * 9, "a transaction across partitions")
    try:
        client.transact_write_items(TransactItems=spread + [
            {"ConditionCheck": {"TableName": t, "Key": key(1, "px9"),
                                "ConditionExpression": "attribute_exists(pk)"}}])
        check(False, "a transaction across partitions with a false condition committed")
    except ClientError as e:
        eq(e.response["Error"]["Code"], "TransactionCanceledException", "cancelled across partitions")
        eq([r["Code"] for r in e.response["CancellationReasons"]], ["None"] * 9 + ["ConditionalCheckFailed"],
           "the reasons of a transaction across partitions")
    eq([get(1, f"px{k}")["n"] for k in range(9)], [{"N": "1"}] * 9,
       "a cancelled transaction across partitions wrote")


def main():
    try:
        create_tables()
        for step in (low_level_client, one_megabyte_pages, legacy_parameters, validation_errors, resource_api,
                     transactions, control_plane):
            print(f"-- {step.__name__}", flush=True)
            step()
    finally:
        for t in ("hash", "range"):
            try:
                client.delete_table(TableName=f"{PREFIX}-{t}")
            except ClientError:
                pass
    print("boto3_scenario: all checks passed")


if __name__ == "__main__":
    main()
