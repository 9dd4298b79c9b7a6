#!/usr/bin/env bash
# The AWS CLI against a DynamoDB endpoint: every control and data plane operation of issue 14,
# each answer checked. The endpoint is $CLOUDLITE_DDB_ENDPOINT (run.sh points it at
# `cloudlite dynamodb serve`; point it at DynamoDB Local to check the scenario itself, with
# CLOUDLITE_DDB_IS_DYNAMODB_LOCAL=1, which accepts DynamoDB Local's "tagging is not supported").
# Tables are named clcli-<pid>-*, and deleted at the end.
set -euo pipefail
endpoint=${CLOUDLITE_DDB_ENDPOINT:?set CLOUDLITE_DDB_ENDPOINT to http://127.0.0.1:PORT}
t=clcli-$$
fail() { echo "FAIL: $*" >&2; exit 1; }

ddb() {
  env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-cloudlitelocal}" \
    AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-cloudlitelocal}" AWS_DEFAULT_REGION=us-east-1 \
    AWS_MAX_ATTEMPTS=1 AWS_PAGER="" aws --cli-connect-timeout 5 --cli-read-timeout 30 \
    --endpoint-url "$endpoint" dynamodb "$@"
}
# eq ACTUAL EXPECTED WHAT
eq() { [[ "$1" == "$2" ]] || fail "$3: got [$1], want [$2]"; }
# error CODE ARGS...: the command must fail with that DynamoDB error name.
error() {
  local code=$1 out
  shift
  if out=$(ddb "$@" 2>&1); then fail "$* succeeded, want $code"; fi
  grep -q "($code)" <<<"$out" || fail "$*: want $code, got: $out"
}
# items ATTR: the values of number attribute ATTR of the (CLI-merged) Items on stdin.
items() {
  python3 -c 'import json,sys; print(" ".join(i[sys.argv[1]]["N"] for i in json.load(sys.stdin)["Items"]))' "$1"
}
cleanup() {
  for s in hash range; do ddb delete-table --table-name "$t-$s" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

echo "-- create-table, describe-table"
ddb create-table --table-name "$t-range" \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST >/dev/null
ddb create-table --table-name "$t-hash" \
  --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH \
  --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5 >/dev/null
ddb wait table-exists --table-name "$t-range"
eq "$(ddb describe-table --table-name "$t-range" --query 'Table.[TableStatus,ItemCount,KeySchema[1].AttributeName]' --output text)" \
  "ACTIVE	0	sk" "describe-table of a new table"
error ResourceInUseException create-table --table-name "$t-hash" \
  --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST
error ResourceNotFoundException describe-table --table-name "$t-missing"

echo "-- put-item, with a condition"
for i in 1 2 3 4 5; do
  ddb put-item --table-name "$t-range" \
    --item "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"$i\"},\"n\":{\"N\":\"$((i * 10))\"},\"tags\":{\"SS\":[\"a\",\"b\"]},\"l\":{\"L\":[{\"N\":\"1\"}]},\"m\":{\"M\":{\"x\":{\"S\":\"y\"}}}}"
done
ddb put-item --table-name "$t-range" --item '{"pk":{"S":"q"},"sk":{"N":"1"},"n":{"N":"7"}}'
error ConditionalCheckFailedException put-item --table-name "$t-range" \
  --item '{"pk":{"S":"p"},"sk":{"N":"1"}}' --condition-expression 'attribute_not_exists(pk)'
ddb put-item --table-name "$t-range" --item '{"pk":{"S":"p"},"sk":{"N":"6"},"n":{"N":"60"}}' \
  --condition-expression 'attribute_not_exists(pk)'
eq "$(ddb put-item --table-name "$t-range" --item '{"pk":{"S":"p"},"sk":{"N":"6"},"n":{"N":"61"}}' \
  --condition-expression 'n = :v' --expression-attribute-values '{":v":{"N":"60"}}' \
  --return-values ALL_OLD --query 'Attributes.n.N' --output text)" "60" "put-item ALL_OLD"

echo "-- get-item, with a projection"
eq "$(ddb get-item --table-name "$t-range" --key '{"pk":{"S":"p"},"sk":{"N":"2"}}' \
  --projection-expression 'n, m.x, #l[0]' --expression-attribute-names '{"#l":"l"}' \
  --consistent-read --output json | python3 -c 'import json,sys; i=json.load(sys.stdin)["Item"]; print(sorted(i), i["n"]["N"], i["m"]["M"]["x"]["S"], i["l"]["L"][0]["N"])')" \
  "['l', 'm', 'n'] 20 y 1" "get-item projection"
eq "$(ddb get-item --table-name "$t-range" --key '{"pk":{"S":"p"},"sk":{"N":"99"}}' --output text)" \
  "" "get-item of a missing item"

echo "-- update-item: SET arithmetic, if_not_exists, list_append, REMOVE, ADD, DELETE"
key='{"pk":{"S":"p"},"sk":{"N":"1"}}'
eq "$(ddb update-item --table-name "$t-range" --key "$key" \
  --update-expression 'SET n = n + :one, c = if_not_exists(c, :zero) + :one, l = list_append(l, :more)' \
  --expression-attribute-values '{":one":{"N":"1"},":zero":{"N":"0"},":more":{"L":[{"S":"two"}]}}' \
  --return-values UPDATED_NEW --query '[Attributes.n.N, Attributes.c.N, length(Attributes.l.L), Attributes.l.L[1].S]' --output text)" \
  "11	1	2	two" "update-item SET"
eq "$(ddb update-item --table-name "$t-range" --key "$key" \
  --update-expression 'REMOVE m ADD more :t, cnt :five DELETE tags :a' \
  --expression-attribute-values '{":t":{"SS":["c"]},":five":{"N":"5"},":a":{"SS":["a"]}}' \
  --return-values ALL_NEW --output json | python3 -c 'import json,sys; a=json.load(sys.stdin)["Attributes"]; print("m" in a, a["tags"]["SS"], a["more"]["SS"], a["cnt"]["N"])')" \
  "False ['b'] ['c'] 5" "update-item REMOVE/ADD/DELETE"
eq "$(ddb update-item --table-name "$t-range" --key "$key" --update-expression 'SET n = :v' \
  --expression-attribute-values '{":v":{"N":"100"}}' --return-values UPDATED_OLD \
  --query 'Attributes.n.N' --output text)" "11" "update-item UPDATED_OLD"
error ConditionalCheckFailedException update-item --table-name "$t-range" --key "$key" \
  --update-expression 'SET n = :v' --condition-expression 'n < :v' \
  --expression-attribute-values '{":v":{"N":"5"}}'
error ValidationException update-item --table-name "$t-range" --key "$key" \
  --update-expression 'SET n = n +' --expression-attribute-values '{":v":{"N":"5"}}'

echo "-- query: key conditions, filter, limit, paging, ScanIndexForward, Select COUNT"
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p AND sk BETWEEN :a AND :b' \
  --expression-attribute-values '{":p":{"S":"p"},":a":{"N":"2"},":b":{"N":"4"}}' \
  --query 'Items[].sk.N' --output text)" "2	3	4" "query BETWEEN"
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p AND sk > :a' \
  --expression-attribute-values '{":p":{"S":"p"},":a":{"N":"3"}}' --no-scan-index-forward \
  --query 'Items[].sk.N' --output text)" "6	5	4" "query backwards"
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p' \
  --filter-expression 'n >= :min' --expression-attribute-values '{":p":{"S":"p"},":min":{"N":"30"}}' \
  --query "[Count, ScannedCount]" --output text)" "5	6" "query with a filter"
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p' \
  --expression-attribute-values '{":p":{"S":"p"}}' --select COUNT --query Count --output text)" \
  "6" "query Select COUNT"
page1=$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p' \
  --expression-attribute-values '{":p":{"S":"p"}}' --no-paginate --limit 4 --output json)
eq "$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(len(r["Items"]), r["LastEvaluatedKey"]["sk"]["N"])' "$page1")" \
  "4 4" "query page 1"
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p' \
  --expression-attribute-values '{":p":{"S":"p"}}' --no-paginate --limit 4 \
  --exclusive-start-key '{"pk":{"S":"p"},"sk":{"N":"4"}}' --query 'Items[].sk.N' --output text)" \
  "5	6" "query page 2"
# The CLI's own paginator, one item a page, all the way.
eq "$(ddb query --table-name "$t-range" --key-condition-expression 'pk = :p' \
  --expression-attribute-values '{":p":{"S":"p"}}' --page-size 1 --output json | items sk)" \
  "1 2 3 4 5 6" "query paged by the CLI"
error ValidationException query --table-name "$t-range" --key-condition-expression 'sk = :a' \
  --expression-attribute-values '{":a":{"N":"1"}}'

echo "-- scan: segments and paging"
total=""
for seg in 0 1 2; do
  n=$(ddb scan --table-name "$t-range" --segment "$seg" --total-segments 3 --page-size 2 \
    --output json | items sk)
  total="$total $n"
done
eq "$(tr ' ' '\n' <<<"$total" | grep . | sort -n | xargs)" "1 1 2 3 4 5 6" "scan over 3 segments"
eq "$(ddb scan --table-name "$t-range" --filter-expression 'pk = :q' \
  --expression-attribute-values '{":q":{"S":"q"}}' --page-size 1 --output json | items n)" \
  "7" "scan with a filter, paged"

echo "-- batch-write-item, batch-get-item"
ddb batch-write-item --request-items "{\"$t-hash\":[
  {\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"a\"},\"v\":{\"N\":\"1\"}}}},
  {\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"},\"v\":{\"N\":\"2\"}}}},
  {\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"c\"},\"v\":{\"N\":\"3\"}}}}],
  \"$t-range\":[{\"DeleteRequest\":{\"Key\":{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"1\"}}}}]}" \
  --query 'length(keys(UnprocessedItems))' --output text | grep -qx 0 ||
  fail "batch-write-item left unprocessed items"
eq "$(ddb batch-get-item --request-items "{\"$t-hash\":{\"Keys\":[{\"id\":{\"S\":\"a\"}},{\"id\":{\"S\":\"c\"}},{\"id\":{\"S\":\"zz\"}}]},
  \"$t-range\":{\"Keys\":[{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"1\"}},{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"1\"}}],\"ProjectionExpression\":\"n\"}}" \
  --output json | python3 -c "import json,sys; r=json.load(sys.stdin)['Responses']; print(sorted(i['v']['N'] for i in r['$t-hash']), [i['n']['N'] for i in r['$t-range']])")" \
  "['1', '3'] ['100']" "batch-get-item"
error ValidationException batch-get-item --request-items \
  "{\"$t-hash\":{\"Keys\":[{\"id\":{\"S\":\"a\"}},{\"id\":{\"S\":\"a\"}}]}}"

echo "-- delete-item"
eq "$(ddb delete-item --table-name "$t-hash" --key '{"id":{"S":"b"}}' --return-values ALL_OLD \
  --query 'Attributes.v.N' --output text)" "2" "delete-item ALL_OLD"
error ConditionalCheckFailedException delete-item --table-name "$t-hash" --key '{"id":{"S":"a"}}' \
  --condition-expression 'v > :v' --expression-attribute-values '{":v":{"N":"5"}}'
eq "$(ddb scan --table-name "$t-hash" --select COUNT --query Count --output text)" "2" \
  "items after delete-item"

echo "-- list-tables paging, update-table, describe-limits"
eq "$(ddb list-tables --no-paginate --exclusive-start-table-name "$t-" --limit 1 \
  --query 'TableNames' --output text)" "$t-hash" "list-tables page 1"
eq "$(ddb list-tables --no-paginate --exclusive-start-table-name "$t-hash" --limit 1 \
  --query 'TableNames' --output text)" "$t-range" "list-tables page 2"
ddb list-tables --query 'TableNames' --output text --page-size 1 | tr '\t' '\n' |
  grep -c "^$t-" | grep -qx 2 || fail "list-tables paged by the CLI misses a table"
ddb update-table --table-name "$t-hash" \
  --provisioned-throughput ReadCapacityUnits=7,WriteCapacityUnits=9 >/dev/null
eq "$(ddb describe-table --table-name "$t-hash" \
  --query 'Table.ProvisionedThroughput.[ReadCapacityUnits,WriteCapacityUnits]' --output text)" \
  "7	9" "update-table throughput"
[[ $(ddb describe-limits --query 'TableMaxReadCapacityUnits' --output text) -gt 0 ]] ||
  fail "describe-limits"

echo "-- tag-resource, list-tags-of-resource, untag-resource"
arn=$(ddb describe-table --table-name "$t-hash" --query Table.TableArn --output text)
if out=$(ddb tag-resource --resource-arn "$arn" --tags Key=team,Value=db Key=env,Value=test 2>&1); then
  # shellcheck disable=SC2016  # backquotes are JMESPath literals, not shell
  eq "$(ddb list-tags-of-resource --resource-arn "$arn" --query 'Tags[?Key==`team`].Value' --output text)" \
    "db" "list-tags-of-resource"
  ddb untag-resource --resource-arn "$arn" --tag-keys team
  eq "$(ddb list-tags-of-resource --resource-arn "$arn" --query 'Tags[].Key' --output text)" \
    "env" "tags after untag-resource"
elif [[ ${CLOUDLITE_DDB_IS_DYNAMODB_LOCAL:-0} == 1 ]] && grep -q "Tagging is not currently supported" <<<"$out"; then
  echo "   (DynamoDB Local does not implement tagging: skipped)"
else
  fail "tag-resource: $out"
fi

echo "-- delete-table, then create-table of the same name shows no old item"
ddb delete-table --table-name "$t-hash" >/dev/null
ddb wait table-not-exists --table-name "$t-hash"
error ResourceNotFoundException get-item --table-name "$t-hash" --key '{"id":{"S":"a"}}'
ddb create-table --table-name "$t-hash" --attribute-definitions AttributeName=id,AttributeType=S \
  --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
ddb wait table-exists --table-name "$t-hash"
eq "$(ddb scan --table-name "$t-hash" --query Count --output text)" "0" "scan of the new table"
eq "$(ddb get-item --table-name "$t-hash" --key '{"id":{"S":"a"}}' --output text)" "" \
  "get-item of an old item"
eq "$(ddb describe-table --table-name "$t-hash" --query Table.ItemCount --output text)" "0" \
  "item count of the new table"
echo "aws_cli: all checks passed"
