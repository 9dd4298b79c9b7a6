#!/usr/bin/env bash
# ctest deploy.templates: checks deploy/'s templates offline with check.mjs, and checks that the
# checker catches what it claims to (a misspelt property, an unknown type, a GetAtt of a missing
# attribute, a Ref to nothing, a bad condition, HCL syntax, an undeclared Terraform reference, a
# resource referenced in a rendering that does not create it). Then renders the two
# CloudFormation templates for each API and auth choice and checks what they set up (the
# function URL's AuthType, the environment, the IAM actions and prefix, the Rules), checks
# deploy.sh's argument handling with --dry-run (which builds and runs nothing), and runs
# ShellCheck, `terraform fmt -check` and Terraform's own evaluation of the locals that pick the
# URL's auth and the prefix, when they are installed.
# shellcheck disable=SC2016  # sed expressions and regular expressions holding a literal ${...}
# The npm packages (package.json, pinned) go to $CLOUDLITE_DEPLOY_NPM_DIR, default
# /tmp/cloudlite-deploy-npm, once. Skipped (77) without npm or when the install fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
dir=${CLOUDLITE_DEPLOY_NPM_DIR:-/tmp/cloudlite-deploy-npm}
command -v npm >/dev/null || { echo "skipped: npm is not installed"; exit 77; }
mkdir -p "$dir"
if ! cmp -s "$here/package.json" "$dir/package.json" || [[ ! -d $dir/node_modules ]]; then
  cp "$here/package.json" "$dir/package.json"
  if ! timeout 600 npm install --prefix "$dir" --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1; then
    rm -f "$dir/package.json"
    echo "skipped: npm install failed ($dir/npm.log)"
    exit 77
  fi
fi
cp "$here/check.mjs" "$dir/check.mjs"
check() { node "$dir/check.mjs" "$@"; }

templates=("$deploy/sam/template.yaml" "$deploy/cloudformation/template.yaml" "$deploy/terraform/main.tf")
check "${templates[@]}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# mutant FILE SED-EXPRESSION EXPECTED-TEXT: the broken copy must fail, naming the problem.
mutant() {
  local name
  name=$tmp/$(basename "$(dirname "$1")")-$RANDOM.${1##*.}
  sed "$2" "$1" >"$name"
  cmp -s "$1" "$name" && { echo "mutant '$2' changed nothing in $1" >&2; exit 1; }
  local out
  if out=$(check "$name"); then
    echo "the checker accepted $1 with '$2':" >&2
    echo "$out" >&2
    exit 1
  fi
  grep -q "$3" <<<"$out" || { echo "expected '$3' for '$2', got: $out" >&2; exit 1; }
}
sam=$deploy/sam/template.yaml
cfn=$deploy/cloudformation/template.yaml
tf=$deploy/terraform/main.tf
mutant "$sam" 's/      MemorySize: !Ref MemorySize/      MemorySzie: !Ref MemorySize/' "has no property MemorySzie"
mutant "$cfn" 's/Type: AWS::Lambda::Url/Type: AWS::Lambda::FunctionUrl/' "unknown resource type"
mutant "$cfn" 's/!GetAtt Url.FunctionUrl/!GetAtt Url.Endpoint/' "has no attribute Endpoint"
mutant "$cfn" 's/S3Bucket: !Ref CodeBucket/S3Bucket: !Ref CodeBuckett/' "Ref to unknown CodeBuckett"
mutant "$cfn" 's/Condition: UseDynamoDb/Condition: UseDynamo/' "unknown condition UseDynamo"
mutant "$sam" 's|s3:::${Bucket}/${Prefix}/\*"|s3:::${Bukket}/${Prefix}/*"|' "names nothing declared"
mutant "$tf" 's/^resource "aws_lambda_function_url" "sql" {/resource "aws_lambda_function_url" "sql" {{/' "HCL"
mutant "$tf" 's/aws_lambda_function.sql.function_name$/aws_lambda_function.sqlite.function_name/' "undeclared aws_lambda_function.sqlite"
mutant "$cfn" 's/Name: !If \[UseS3, !Ref Bucket, !Ref Table\]/Name: !Ref Bucket/' "Ref to Bucket, which is not created"
mutant "$sam" 's/    Condition: UseDynamoDb/    Condition: UseS3/' "Table, which is not created"
mutant "$cfn" 's/!Condition SqlJwt\]/!Condition SqlJwtt]/' "unknown condition SqlJwtt"
mutant "$sam" 's/SecretString:::${DynamoDbCredentialsVersion}/SecretString:::${DynamoDbCredentialVersion}/' "names nothing declared"

# expect FILE 'NAME=VALUE ...' [+REGEX | -REGEX]...: the template rendered with these
# parameters (check.mjs --render: one line PATH=VALUE per leaf) has a line matching each +REGEX
# and none matching any -REGEX.
expect() {
  local file=$1 params=$2 out want
  shift 2
  # shellcheck disable=SC2086  # the parameters are words
  out=$(check --render "$file" $params) || { echo "rendering $file with '$params' failed: $out" >&2; exit 1; }
  for want in "$@"; do
    if [[ $want == +* ]] && ! grep -qE -- "${want:1}" <<<"$out"; then
      echo "$file with '$params': no line matches ${want:1}" >&2; exit 1
    fi
    if [[ $want == -* ]] && grep -qE -- "${want:1}" <<<"$out"; then
      echo "$file with '$params': unexpected $(grep -E -- "${want:1}" <<<"$out" | head -1)" >&2; exit 1
    fi
  done
}
# refused FILE 'NAME=VALUE ...' RULE: the template's Rules refuse these parameters.
refused() {
  local out rc=0
  # shellcheck disable=SC2086
  out=$(check --render "$1" $2) || rc=$?
  [[ $rc == 3 && $out == "refused: $3:"* ]] || { echo "$1 with '$2': expected refused by $3, got ($rc) $out" >&2; exit 1; }
}
for t in "$sam" "$cfn"; do
  # SQL API, no JWT key: an AWS_IAM URL, nothing public, no auth setting of the function.
  expect "$t" '' '+\.AuthType=AWS_IAM$' '-\.AuthType=NONE$' '-^Resources\.UrlPublic' \
    '+CLOUDLITE_API=sql$' '+CLOUDLITE_CREATE=1$' '-CLOUDLITE_DYNAMODB_CREDENTIALS' \
    '-CLOUDLITE_AUTH_JWT_KEY' '-CLOUDLITE_DYNAMODB_PARTITIONS' '+CLOUDLITE_STORE=.*"s3://\$\{Name\}/dbs"' \
    '+Resource=arn:aws:s3:::\$\{Bucket\}/dbs/\*$' '+Action=s3:ListBucket$' '-secretsmanager'
  expect "$t" 'CreateDatabases=0' '+CLOUDLITE_CREATE=0$'
  # SQL API with a JWT key: the function checks tokens, the URL is public (both permissions).
  expect "$t" 'JwtKey=kkk' '+\.AuthType=NONE$' '+CLOUDLITE_AUTH_JWT_KEY=kkk$' \
    '+^Resources\.UrlPublicInvokeUrl\.Properties\.Action=lambda:InvokeFunctionUrl$' \
    '+^Resources\.UrlPublicInvokeUrl\.Properties\.FunctionUrlAuthType=NONE$' \
    '+^Resources\.UrlPublicInvokeFunction\.Properties\.Action=lambda:InvokeFunction$' \
    '+^Resources\.UrlPublicInvokeFunction\.Properties\.InvokedViaFunctionUrl=true$' \
    '-CLOUDLITE_DYNAMODB_CREDENTIALS'
  # DynamoDB API on S3: SigV4 keys resolved from Secrets Manager at deploy time (the role gets
  # no secretsmanager action), a public URL, its own prefix, no SQL settings.
  expect "$t" 'Api=dynamodb DynamoDbCredentialsSecret=sss' '+\.AuthType=NONE$' \
    '+CLOUDLITE_API=dynamodb$' '+CLOUDLITE_DYNAMODB_PARTITIONS=8$' \
    '+CLOUDLITE_DYNAMODB_CREDENTIALS=\{\{resolve:secretsmanager:sss:SecretString\}\}$' \
    '+^Resources\.UrlPublicInvokeFunction\.Properties\.InvokedViaFunctionUrl=true$' \
    '-CLOUDLITE_CREATE' '-CLOUDLITE_AUTH_JWT_KEY' '+CLOUDLITE_STORE=.*"s3://\$\{Name\}/tables"' \
    '+Resource=arn:aws:s3:::\$\{Bucket\}/tables/\*$' '-/dbs' '-Action.*=secretsmanager:' \
    '+Action=s3:ListBucket$'
  # DynamoDB API on DynamoDB, the secret pinned to a version: the table's actions only.
  expect "$t" 'Api=dynamodb Store=dynamodb DynamoDbCredentialsSecret=sss DynamoDbCredentialsVersion=vvv DynamoDbPartitions=1' \
    '+CLOUDLITE_DYNAMODB_PARTITIONS=1$' \
    '+CLOUDLITE_DYNAMODB_CREDENTIALS=\{\{resolve:secretsmanager:sss:SecretString:::vvv\}\}$' \
    '+CLOUDLITE_STORE=.*"dynamodb://\$\{Name\}/tables"' '+Action\.[0-9]+=dynamodb:BatchWriteItem$' \
    '-Action.*=s3:' '-Action.*=dynamodb:(CreateTable|Scan|UpdateItem|\*)' '+\.AuthType=NONE$'
done
# The Rules of the plain template refuse what the function would refuse at init.
refused "$cfn" 'Api=dynamodb' DynamoDbApiNeedsCredentials
refused "$cfn" 'Api=dynamodb DynamoDbCredentialsSecret=sss JwtKey=kkk' DynamoDbApiNeedsCredentials
refused "$cfn" 'DynamoDbCredentialsSecret=sss' SqlApiTakesNoCredentials
# SAM has no Rules: without a secret the variable is left out, so the function's init error
# names what is missing.
expect "$sam" 'Api=dynamodb' '-CLOUDLITE_DYNAMODB_CREDENTIALS' '-resolve:'

# deploy.sh --dry-run: the parameters it would pass render the plain template as asked.
dry() { "$deploy/deploy.sh" "$@" --dry-run; }
overrides() { sed -n 's/.*--parameter-overrides //p' <<<"$1"; }
out=$(dry st code-bucket dynamodb 1024 --api dynamodb 2>&1)
grep -q 'lambda-zip.sh' <<<"$out" || { echo "deploy.sh --dry-run printed no build: $out" >&2; exit 1; }
expect "$cfn" "$(overrides "$out")" '+CLOUDLITE_API=dynamodb$' '+MemorySize=1024$' \
  '+resolve:secretsmanager:st-dynamodb-credentials:SecretString:::VERSION-ID' '+\.AuthType=NONE$'
echo kkk >"$tmp/jwt.key"
out=$(dry st code-bucket --jwt-key-file "$tmp/jwt.key")
expect "$cfn" "$(overrides "$out")" '+CLOUDLITE_API=sql$' '+CLOUDLITE_AUTH_JWT_KEY=kkk$' '+\.AuthType=NONE$'
out=$(dry st code-bucket)
expect "$cfn" "$(overrides "$out")" '+\.AuthType=AWS_IAM$' '+"s3://\$\{Name\}/dbs"'
for bad in '--api dynamodb --jwt-key-file /dev/null' '--credentials-secret s' '--api graphql' 'ftp'; do
  # shellcheck disable=SC2086
  if dry st code-bucket $bad >/dev/null 2>&1; then echo "deploy.sh accepted '$bad'" >&2; exit 1; fi
done

if command -v shellcheck >/dev/null; then shellcheck "$deploy/deploy.sh" "$here/run.sh"; fi
if command -v terraform >/dev/null; then
  export CHECKPOINT_DISABLE=1
  out=$(terraform fmt -check -diff -no-color "$tf" 2>&1) || { echo "terraform fmt: $out" >&2; exit 1; }
  # The locals that pick the URL's auth and the prefix, evaluated by Terraform itself: the
  # variables and locals alone need no provider (`terraform console` in a copy of just them).
  mkdir "$tmp/tf"
  awk '/^variable /,/^}/; /^locals \{/,/^}/' "$tf" >"$tmp/tf/locals.tf"
  # tflocals 'URL_AUTH_NONE PREFIX SQL_JWT' [-var NAME=VALUE]...
  tflocals() {
    local want=$1 out
    shift
    out=$(cd "$tmp/tf" && echo '"${local.url_auth_none} ${local.prefix} ${local.sql_jwt}"' |
      terraform console -no-color "$@" 2>"$tmp/tf/stderr") || true
    [[ $out == "\"$want\"" ]] || {
      echo "terraform locals with '$*': $out, expected $want; $(cat "$tmp/tf/stderr")" >&2
      exit 1
    }
  }
  tflocals 'false dbs false'
  tflocals 'true dbs true' -var jwt_key=kkk
  tflocals 'true tables false' -var api=dynamodb -var dynamodb_credentials_secret=sss
fi
echo "deploy check: the templates pass; 12 broken copies are refused; both APIs render as expected"
