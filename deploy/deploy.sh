#!/usr/bin/env bash
# Deploys cloudlite-lambda to AWS with plain CloudFormation (deploy/cloudformation/template.yaml):
# builds the provided.al2023 zip, uploads it to CODE_BUCKET, creates or updates the stack, and
# prints the function URL. Needs the AWS CLI with credentials (never run by CI).
#
#   deploy/deploy.sh STACK CODE_BUCKET [s3|dynamodb] [MEMORY_MB] [OPTIONS]
#
#   s3|dynamodb                  the store (default s3)
#   --api sql|dynamodb           the API the function serves (CLOUDLITE_API, default sql)
#   --jwt-key-file FILE          SQL API: the Ed25519 public key(s) of accepted JWTs; the function
#                                URL is then AuthType NONE (the function checks every request)
#   --credentials-secret NAME    DynamoDB API: the Secrets Manager secret holding the access keys
#                                callers sign with (default STACK-dynamodb-credentials); made
#                                with one new random key if it does not exist
#   --dry-run                    print the commands instead of building and running them
#
# Then follow deploy/README.md's checklist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: deploy.sh STACK CODE_BUCKET [s3|dynamodb] [MEMORY_MB] [--api sql|dynamodb] [--jwt-key-file FILE] [--credentials-secret NAME] [--dry-run]"
api=sql
jwt_key_file=
secret=
dry_run=0
positional=()
while (($#)); do
  case $1 in
    --api) api=${2:?$usage}; shift 2 ;;
    --jwt-key-file) jwt_key_file=${2:?$usage}; shift 2 ;;
    --credentials-secret) secret=${2:?$usage}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) echo "deploy: unknown option $1" >&2; echo "$usage" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
stack=${positional[0]:?$usage}
bucket=${positional[1]:?$usage}
store=${positional[2]:-s3}
memory=${positional[3]:-512}
case $store in s3 | dynamodb) ;; *) echo "deploy: the store is s3 or dynamodb, not $store" >&2; exit 2 ;; esac
case $api in sql | dynamodb) ;; *) echo "deploy: --api is sql or dynamodb, not $api" >&2; exit 2 ;; esac
if [[ $api == sql && -n $secret ]]; then
  echo "deploy: --credentials-secret is for --api dynamodb; the SQL API checks JWTs (--jwt-key-file)" >&2
  exit 2
fi
if [[ $api == dynamodb && -n $jwt_key_file ]]; then
  echo "deploy: --jwt-key-file is for the SQL API; the DynamoDB API checks SigV4 (--credentials-secret)" >&2
  exit 2
fi
jwt_key=
if [[ -n $jwt_key_file ]]; then
  jwt_key=$(cat "$jwt_key_file")  # public keys: nothing secret
  [[ -n $jwt_key ]] || { echo "deploy: $jwt_key_file is empty" >&2; exit 2; }
fi
if [[ $api == dynamodb && -z $secret ]]; then secret=$stack-dynamodb-credentials; fi

# run CMD...: runs it, or prints it with --dry-run.
run() {
  if ((dry_run)); then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}
((dry_run)) || command -v aws >/dev/null || { echo "deploy: the AWS CLI is required (apt-get install awscli)" >&2; exit 1; }

version=
if [[ $api == dynamodb ]]; then
  # The secret is made here, never passed on a command line: a key id and a random secret key
  # written to a private temporary file the AWS CLI reads.
  if ! ((dry_run)) && ! aws secretsmanager describe-secret --secret-id "$secret" >/dev/null 2>&1; then
    key_id=cloudlite-$(openssl rand -hex 8)
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    printf '%s %s\n' "$key_id" "$(openssl rand -hex 20)" >"$tmp"
    aws secretsmanager create-secret --name "$secret" \
      --description "cloudlite-lambda $stack: DynamoDB API access keys (lines ACCESS_KEY_ID SECRET)" \
      --secret-string "file://$tmp" >/dev/null
    rm -f "$tmp"
    echo "deploy: made secret $secret with access key id $key_id" >&2
  fi
  # Its current version, so that a new one (a rotated key) reaches the function at the next
  # deploy: CloudFormation resolves a secret again only when the reference changes.
  if ((dry_run)); then
    echo "# (the secret $secret is made with a new random key if it does not exist)"
    run aws secretsmanager list-secret-version-ids --secret-id "$secret"
    version=VERSION-ID
  else
    version=$(aws secretsmanager list-secret-version-ids --secret-id "$secret" \
      --query "Versions[?contains(VersionStages, 'AWSCURRENT')].VersionId | [0]" --output text)
  fi
fi

zip=$root/build-al2023/cloudlite-lambda.zip
if ((dry_run)); then
  run "$root/scripts/lambda-zip.sh" "$root/build-al2023"
  key=cloudlite-lambda-SHA256.zip
else
  "$root/scripts/lambda-zip.sh" "$root/build-al2023"
  # A content-addressed key, so that an update of the stack updates the code too.
  key=cloudlite-lambda-$(sha256sum "$zip" | cut -c1-16).zip
fi
run aws s3 cp "$zip" "s3://$bucket/$key"
# Every parameter is given, empty ones too: `deploy` would otherwise keep a previous value (a
# secret of a stack switched back to the SQL API, which its Rules refuse).
run aws cloudformation deploy --stack-name "$stack" \
  --template-file "$root/deploy/cloudformation/template.yaml" \
  --capabilities CAPABILITY_IAM \
  --parameter-overrides "CodeBucket=$bucket" "CodeKey=$key" "Store=$store" "MemorySize=$memory" \
  "Api=$api" "JwtKey=$jwt_key" "DynamoDbCredentialsSecret=$secret" \
  "DynamoDbCredentialsVersion=$version"
run aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='FunctionUrl'].OutputValue" --output text
if [[ $api == dynamodb ]]; then
  echo "deploy: callers sign for service dynamodb with a key of secret $secret:" >&2
  echo "  aws secretsmanager get-secret-value --secret-id $secret --query SecretString --output text" >&2
fi
