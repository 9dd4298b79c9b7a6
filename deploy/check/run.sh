#!/usr/bin/env bash
# ctest deploy.templates: checks deploy/'s templates offline with check.mjs, and checks that the
# checker catches what it claims to (a misspelt property, an unknown type, a GetAtt of a missing
# attribute, a Ref to nothing, a bad condition, HCL syntax, an undeclared Terraform reference).
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
mutant "$sam" 's|"s3://${Bucket}/dbs"|"s3://${Bukket}/dbs"|' "names nothing declared"
mutant "$tf" 's/^resource "aws_lambda_function_url" "sql" {/resource "aws_lambda_function_url" "sql" {{/' "HCL"
mutant "$tf" 's/aws_lambda_function.sql.function_name$/aws_lambda_function.sqlite.function_name/' "undeclared aws_lambda_function.sqlite"
echo "deploy check: the templates pass; 8 broken copies are refused"
