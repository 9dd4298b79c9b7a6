#!/usr/bin/env bash
# Deploys cloudlite-lambda to AWS with plain CloudFormation (deploy/cloudformation/template.yaml):
# builds the provided.al2023 zip, uploads it to CODE_BUCKET, creates or updates the stack, and
# prints the function URL. Needs the AWS CLI with credentials (never run by CI).
#
#   deploy/deploy.sh STACK CODE_BUCKET [s3|dynamodb] [MEMORY_MB]
# Then follow deploy/README.md's checklist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stack=${1:?usage: deploy.sh STACK CODE_BUCKET [s3|dynamodb] [MEMORY_MB]}
bucket=${2:?usage: deploy.sh STACK CODE_BUCKET [s3|dynamodb] [MEMORY_MB]}
store=${3:-s3}
memory=${4:-512}
command -v aws >/dev/null || { echo "deploy: the AWS CLI is required (apt-get install awscli)" >&2; exit 1; }

"$root/scripts/lambda-zip.sh" "$root/build-al2023"
zip=$root/build-al2023/cloudlite-lambda.zip
# A content-addressed key, so that an update of the stack updates the code too.
key=cloudlite-lambda-$(sha256sum "$zip" | cut -c1-16).zip
aws s3 cp "$zip" "s3://$bucket/$key"
aws cloudformation deploy --stack-name "$stack" \
  --template-file "$root/deploy/cloudformation/template.yaml" \
  --capabilities CAPABILITY_IAM \
  --parameter-overrides "CodeBucket=$bucket" "CodeKey=$key" "Store=$store" "MemorySize=$memory"
aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='FunctionUrl'].OutputValue" --output text
