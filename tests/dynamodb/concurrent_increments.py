#!/usr/bin/env python3
"""Concurrent increments of one item through several DynamoDB endpoints (run.sh starts two
`cloudlite dynamodb serve` processes over one store): from each endpoint, WORKERS threads do
ROUNDS conditional increments (read n, then SET n = :new only if n = :old, retried when the
condition fails: optimistic concurrency as applications do it) and ROUNDS atomic ones
(ADD a :one). Nothing acknowledged may be lost or applied twice: the final n equals the number
of conditional increments acknowledged, a the number of ADDs, and every endpoint reads the
same final item with a strongly consistent read.

usage: concurrent_increments.py ENDPOINT [ENDPOINT...]   (env WORKERS, ROUNDS: 4 and 25)
"""

import os
import sys
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

WORKERS = int(os.environ.get("WORKERS", "4"))
ROUNDS = int(os.environ.get("ROUNDS", "25"))
MAX_TRIES = 200  # per conditional increment: bounded, and far above what 8 writers need
TABLE = f"clconc-{os.getpid()}"
KEY = {"id": {"S": "counter"}}


def client_for(endpoint):
    return boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "cloudlitelocal"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "cloudlitelocal"),
        region_name="us-east-1").client(
            "dynamodb", endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60,
                          max_pool_connections=WORKERS * 2))


def worker(client, results, errors):
    conditional = atomic = conflicts = 0
    try:
        for _ in range(ROUNDS):
            for _ in range(MAX_TRIES):
                item = client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True)["Item"]
                old = item["n"]["N"]
                try:
                    client.update_item(TableName=TABLE, Key=KEY, UpdateExpression="SET n = :new",
                                       ConditionExpression="n = :old",
                                       ExpressionAttributeValues={
                                           ":old": {"N": old}, ":new": {"N": str(int(old) + 1)}})
                    conditional += 1
                    break
                except ClientError as e:
                    if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
                    conflicts += 1
            else:
                raise AssertionError(f"no conditional increment succeeded in {MAX_TRIES} tries")
            client.update_item(TableName=TABLE, Key=KEY, UpdateExpression="ADD a :one",
                               ExpressionAttributeValues={":one": {"N": "1"}})
            atomic += 1
    except Exception as e:  # reported by the main thread
        errors.append(repr(e))
    results.append((conditional, atomic, conflicts))


def main():
    endpoints = sys.argv[1:]
    if not endpoints:
        sys.exit(__doc__)
    clients = [client_for(e) for e in endpoints]
    first = clients[0]
    first.create_table(TableName=TABLE,
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       BillingMode="PAY_PER_REQUEST")
    first.get_waiter("table_exists").wait(TableName=TABLE)
    first.put_item(TableName=TABLE, Item={**KEY, "n": {"N": "0"}, "a": {"N": "0"}})
    results, errors, threads = [], [], []
    for client in clients:
        for _ in range(WORKERS):
            threads.append(threading.Thread(target=worker, args=(client, results, errors)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"FAIL: {len(errors)} workers failed, first: {errors[0]}")
    conditional = sum(r[0] for r in results)
    atomic = sum(r[1] for r in results)
    conflicts = sum(r[2] for r in results)
    want = len(endpoints) * WORKERS * ROUNDS
    if conditional != want or atomic != want:
        sys.exit(f"FAIL: acknowledged {conditional} conditional and {atomic} atomic increments, "
                 f"want {want} each")
    for endpoint, client in zip(endpoints, clients):
        item = client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True)["Item"]
        got = (item["n"]["N"], item["a"]["N"])
        if got != (str(want), str(want)):
            sys.exit(f"FAIL: {endpoint} reads n={got[0]} a={got[1]}, want {want} each")
    first.delete_table(TableName=TABLE)
    print(f"concurrent_increments: {len(endpoints)} endpoints x {WORKERS} workers x {ROUNDS}: "
          f"n = a = {want} on every endpoint ({conflicts} conditional retries)")


if __name__ == "__main__":
    main()
