// @aws-sdk/client-dynamodb and @aws-sdk/lib-dynamodb (the DocumentClient) against a DynamoDB
// endpoint ($CLOUDLITE_DDB_ENDPOINT): every operation, the paginators, and the modelled errors,
// each answer checked. CLOUDLITE_DDB_IS_DYNAMODB_LOCAL=1 accepts DynamoDB Local's lack of
// tagging. Tables are named cljs-<pid>-*, deleted at the end. Run by run.sh, from a directory
// that links the node_modules scripts/npm-deps.sh installed (tests/dynamodb/node/package.json).
import assert from "node:assert/strict";
import {
  BatchGetItemCommand, BatchWriteItemCommand, ConditionalCheckFailedException, CreateTableCommand,
  DeleteItemCommand, DeleteTableCommand, DescribeLimitsCommand, DescribeTableCommand, DynamoDBClient,
  GetItemCommand, ListTablesCommand, ListTagsOfResourceCommand, PutItemCommand, QueryCommand,
  ResourceInUseException, ResourceNotFoundException, ScanCommand, TagResourceCommand,
  UntagResourceCommand, UpdateItemCommand, UpdateTableCommand, paginateListTables, paginateQuery,
  paginateScan, waitUntilTableExists, waitUntilTableNotExists,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand,
  PutCommand, QueryCommand as DocQueryCommand, ScanCommand as DocScanCommand, UpdateCommand,
  paginateQuery as docPaginateQuery,
} from "@aws-sdk/lib-dynamodb";

const endpoint = process.env.CLOUDLITE_DDB_ENDPOINT;
if (!endpoint) throw new Error("set CLOUDLITE_DDB_ENDPOINT");
const isLocal = process.env.CLOUDLITE_DDB_IS_DYNAMODB_LOCAL === "1";
const prefix = `cljs-${process.pid}`;
const hashT = `${prefix}-hash`;
const rangeT = `${prefix}-range`;

const client = new DynamoDBClient({
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID || "cloudlitelocal",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || "cloudlitelocal",
  },
});
const doc = DynamoDBDocumentClient.from(client, {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: false },
});
const send = (cmd) => client.send(cmd);

// rejects(promise, ErrorClassOrName, messagePart?): the call must fail with that error.
async function rejects(promise, expected, messagePart) {
  try {
    await promise;
  } catch (e) {
    if (typeof expected === "string") assert.equal(e.name, expected, e.message);
    else assert.ok(e instanceof expected, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    if (messagePart) assert.match(e.message.toLowerCase(), new RegExp(messagePart.toLowerCase()));
    return e;
  }
  assert.fail(`succeeded, want ${expected.name || expected}`);
}

async function createTables() {
  await send(new CreateTableCommand({
    TableName: rangeT,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    BillingMode: "PAY_PER_REQUEST",
  }));
  await send(new CreateTableCommand({
    TableName: hashT,
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 },
  }));
  for (const TableName of [rangeT, hashT]) {
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
  }
  await rejects(send(new CreateTableCommand({
    TableName: hashT,
    AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], BillingMode: "PAY_PER_REQUEST",
  })), ResourceInUseException);
  const { Table } = await send(new DescribeTableCommand({ TableName: rangeT }));
  assert.equal(Table.TableStatus, "ACTIVE");
  assert.deepEqual(Table.KeySchema.map((k) => k.KeyType), ["HASH", "RANGE"]);
}

async function lowLevel() {
  for (let i = 1; i <= 6; i++) {
    await send(new PutItemCommand({
      TableName: rangeT,
      Item: { pk: { S: "p" }, sk: { N: String(i) }, n: { N: String(i * 10) }, b: { B: new Uint8Array([i]) } },
    }));
  }
  const key = { pk: { S: "p" }, sk: { N: "2" } };
  const upd = await send(new UpdateItemCommand({
    TableName: rangeT, Key: key,
    UpdateExpression: "SET n = n * :two, l = list_append(if_not_exists(l, :e), :x) ADD c :one",
    ExpressionAttributeValues: { ":two": { N: "2" }, ":e": { L: [] }, ":x": { L: [{ N: "1" }] }, ":one": { N: "1" } },
    ReturnValues: "ALL_NEW",
  })).catch((e) => e);
  // DynamoDB has no `*`: the expression must be refused as a syntax error.
  assert.equal(upd.name, "ValidationException", "SET n * :two must be refused");
  const ok = await send(new UpdateItemCommand({
    TableName: rangeT, Key: key,
    UpdateExpression: "SET n = n + :two, l = list_append(if_not_exists(l, :e), :x) ADD c :one",
    ExpressionAttributeValues: { ":two": { N: "2" }, ":e": { L: [] }, ":x": { L: [{ N: "1" }] }, ":one": { N: "1" } },
    ReturnValues: "ALL_NEW",
  }));
  assert.equal(ok.Attributes.n.N, "22");
  assert.deepEqual(ok.Attributes.l, { L: [{ N: "1" }] });
  assert.equal(ok.Attributes.c.N, "1");
  assert.deepEqual([...ok.Attributes.b.B], [2]);
  const got = await send(new GetItemCommand({
    TableName: rangeT, Key: key, ProjectionExpression: "n, #l[0]", ExpressionAttributeNames: { "#l": "l" },
  }));
  assert.deepEqual(got.Item, { n: { N: "22" }, l: { L: [{ N: "1" }] } });
  const e = await rejects(send(new DeleteItemCommand({
    TableName: rangeT, Key: key, ConditionExpression: "n < :v",
    ExpressionAttributeValues: { ":v": { N: "0" } }, ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  })), ConditionalCheckFailedException);
  assert.equal(e.Item.n.N, "22", "the item returned with the failed condition");
  const del = await send(new DeleteItemCommand({ TableName: rangeT, Key: key, ReturnValues: "ALL_OLD" }));
  assert.equal(del.Attributes.n.N, "22");
  // Query with the paginator, one item a page, backwards.
  const sks = [];
  for await (const page of paginateQuery({ client, pageSize: 1 }, {
    TableName: rangeT, KeyConditionExpression: "pk = :p AND sk >= :a",
    ExpressionAttributeValues: { ":p": { S: "p" }, ":a": { N: "3" } }, ScanIndexForward: false,
  })) sks.push(...page.Items.map((i) => i.sk.N));
  assert.deepEqual(sks, ["6", "5", "4", "3"]);
  const count = await send(new QueryCommand({
    TableName: rangeT, KeyConditionExpression: "pk = :p AND begins_with(sk, :a)",
    ExpressionAttributeValues: { ":p": { S: "p" }, ":a": { N: "1" } }, Select: "COUNT",
  })).catch((err) => err);
  assert.equal(count.name, "ValidationException", "begins_with on a number key");
  const counted = await send(new QueryCommand({
    TableName: rangeT, KeyConditionExpression: "pk = :p", FilterExpression: "n > :v",
    ExpressionAttributeValues: { ":p": { S: "p" }, ":v": { N: "35" } }, Select: "COUNT",
  }));
  assert.deepEqual([counted.Count, counted.ScannedCount], [3, 5]);
  // Parallel scan, each segment paged.
  const seen = [];
  for (let Segment = 0; Segment < 3; Segment++) {
    for await (const page of paginateScan({ client, pageSize: 2 }, { TableName: rangeT, Segment, TotalSegments: 3 })) {
      seen.push(...page.Items.map((i) => Number(i.sk.N)));
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), [1, 3, 4, 5, 6]);
  // Batch write and get, and their errors.
  const w = await send(new BatchWriteItemCommand({
    RequestItems: {
      [hashT]: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { id: { S: `k${i}` }, v: { N: String(i) } } } })),
    },
  }));
  assert.deepEqual(w.UnprocessedItems, {});
  const g = await send(new BatchGetItemCommand({
    RequestItems: { [hashT]: { Keys: [{ id: { S: "k3" } }, { id: { S: "k24" } }, { id: { S: "none" } }] } },
  }));
  assert.deepEqual(g.Responses[hashT].map((i) => i.v.N).sort(), ["24", "3"]);
  assert.deepEqual(g.UnprocessedKeys, {});
  await rejects(send(new BatchGetItemCommand({
    RequestItems: { [hashT]: { Keys: [{ id: { S: "k3" } }, { id: { S: "k3" } }] } },
  })), "ValidationException", "duplicate");
  await rejects(send(new GetItemCommand({ TableName: `${prefix}-none`, Key: { id: { S: "x" } } })),
    ResourceNotFoundException);
  await rejects(send(new PutItemCommand({ TableName: hashT, Item: { id: { N: "1" } } })),
    "ValidationException", "type mismatch");
  await rejects(send(new UpdateItemCommand({
    TableName: hashT, Key: { id: { S: "k1" } }, UpdateExpression: "SET v = :v",
    ExpressionAttributeValues: { ":v": { N: "1" }, ":w": { N: "2" } },
  })), "ValidationException", "unused");
}

async function documentClient() {
  await doc.send(new PutCommand({
    TableName: hashT,
    Item: { id: "doc", n: 1, price: 2.5, tags: new Set(["a", "b"]), nested: { list: [1, "x", null, false] }, empty: "" },
    ConditionExpression: "attribute_not_exists(id)",
  }));
  const { Item } = await doc.send(new GetCommand({ TableName: hashT, Key: { id: "doc" }, ConsistentRead: true }));
  assert.equal(Item.price, 2.5);
  assert.deepEqual([...Item.tags].sort(), ["a", "b"]);
  assert.deepEqual(Item.nested, { list: [1, "x", null, false] });
  assert.equal(Item.empty, "");
  const up = await doc.send(new UpdateCommand({
    TableName: hashT, Key: { id: "doc" },
    UpdateExpression: "SET n = n + :one, nested.#l[1] = :y REMOVE price DELETE tags :a",
    ExpressionAttributeNames: { "#l": "list" },
    ExpressionAttributeValues: { ":one": 1, ":y": "y", ":a": new Set(["a"]) },
    ReturnValues: "UPDATED_NEW",
  }));
  assert.equal(up.Attributes.n, 2);
  assert.deepEqual([...up.Attributes.tags], ["b"]);
  await rejects(doc.send(new UpdateCommand({
    TableName: hashT, Key: { id: "doc" }, UpdateExpression: "SET n = :z",
    ConditionExpression: "n = :wrong", ExpressionAttributeValues: { ":z": 0, ":wrong": 99 },
  })), ConditionalCheckFailedException);
  await doc.send(new BatchWriteCommand({
    RequestItems: { [rangeT]: Array.from({ length: 12 }, (_, i) => ({ PutRequest: { Item: { pk: "doc", sk: i, odd: i % 2 === 1 } } })) },
  }));
  const odd = [];
  for await (const page of docPaginateQuery({ client: doc, pageSize: 5 }, {
    TableName: rangeT, KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
    FilterExpression: "odd = :t", ExpressionAttributeValues: { ":p": "doc", ":a": 2, ":b": 9, ":t": true },
  })) odd.push(...page.Items.map((i) => i.sk));
  assert.deepEqual(odd, [3, 5, 7, 9]);
  const q = await doc.send(new DocQueryCommand({
    TableName: rangeT, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "doc" },
    Limit: 3, ScanIndexForward: false,
  }));
  assert.deepEqual(q.Items.map((i) => i.sk), [11, 10, 9]);
  assert.deepEqual(q.LastEvaluatedKey, { pk: "doc", sk: 9 });
  const s = await doc.send(new DocScanCommand({ TableName: rangeT, FilterExpression: "pk = :p AND odd = :f", ExpressionAttributeValues: { ":p": "doc", ":f": false } }));
  assert.equal(s.Count, 6);
  const bg = await doc.send(new BatchGetCommand({ RequestItems: { [rangeT]: { Keys: [{ pk: "doc", sk: 0 }, { pk: "doc", sk: 11 }], ProjectionExpression: "sk" } } }));
  assert.deepEqual(bg.Responses[rangeT].map((i) => i.sk).sort((a, b) => a - b), [0, 11]);
  const d = await doc.send(new DeleteCommand({ TableName: hashT, Key: { id: "doc" }, ReturnValues: "ALL_OLD" }));
  assert.equal(d.Attributes.n, 2);
}

async function controlPlane() {
  const names = [];
  for await (const page of paginateListTables({ client, pageSize: 1 }, { ExclusiveStartTableName: prefix })) {
    names.push(...page.TableNames.filter((n) => n.startsWith(prefix)));
    if (!page.TableNames.length || !page.TableNames.at(-1).startsWith(prefix)) break;
  }
  assert.deepEqual(names, [hashT, rangeT]);
  await send(new UpdateTableCommand({ TableName: hashT, ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 } }));
  const { Table } = await send(new DescribeTableCommand({ TableName: hashT }));
  assert.deepEqual([Table.ProvisionedThroughput.ReadCapacityUnits, Table.ProvisionedThroughput.WriteCapacityUnits], [3, 4]);
  assert.equal(Table.ItemCount, 25);
  const limits = await send(new DescribeLimitsCommand({}));
  assert.ok(limits.TableMaxReadCapacityUnits > 0);
  try {
    await send(new TagResourceCommand({ ResourceArn: Table.TableArn, Tags: [{ Key: "k", Value: "v" }, { Key: "j", Value: "w" }] }));
    await send(new UntagResourceCommand({ ResourceArn: Table.TableArn, TagKeys: ["j"] }));
    const tags = await send(new ListTagsOfResourceCommand({ ResourceArn: Table.TableArn }));
    assert.deepEqual(tags.Tags, [{ Key: "k", Value: "v" }]);
  } catch (e) {
    if (!(isLocal && /Tagging is not currently supported/.test(e.message))) throw e;
    console.log("  (DynamoDB Local does not implement tagging: skipped)");
  }
  await send(new DeleteTableCommand({ TableName: hashT }));
  await waitUntilTableNotExists({ client, maxWaitTime: 30 }, { TableName: hashT });
  await send(new CreateTableCommand({
    TableName: hashT, AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "id", KeyType: "HASH" }], BillingMode: "PAY_PER_REQUEST",
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: hashT });
  const after = await send(new ScanCommand({ TableName: hashT }));
  assert.equal(after.Count, 0, "the re-created table shows no old item");
  const old = await send(new GetItemCommand({ TableName: hashT, Key: { id: { S: "k3" } } }));
  assert.equal(old.Item, undefined);
}

try {
  await createTables();
  for (const [name, step] of [["low-level client", lowLevel], ["document client", documentClient], ["control plane", controlPlane]]) {
    console.log(`-- ${name}`);
    await step();
  }
  console.log("js_scenario: all checks passed");
} finally {
  for (const TableName of [hashT, rangeT]) {
    await send(new DeleteTableCommand({ TableName })).catch(() => {});
  }
}
