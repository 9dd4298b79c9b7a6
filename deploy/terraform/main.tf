# cloudlite-lambda with Terraform: the function (zip from scripts/lambda-zip.sh) serving the SQL
# API (api = "sql") or the DynamoDB API (api = "dynamodb"), a role with exactly the store actions
# cloudlite uses, a function URL and the store: an S3 bucket (store = "s3") or a DynamoDB table
# (store = "dynamodb"). docs/lambda.md, deploy/README.md.

terraform {
  required_providers {
    # 6.42 or later: aws_lambda_permission.invoked_via_function_url (a public function URL needs
    # it since October 2025); known in 6.42, perhaps in earlier 6.x too.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.42"
    }
  }
}

variable "name" {
  type    = string
  default = "cloudlite"
}

variable "store" {
  type    = string
  default = "s3"
  validation {
    condition     = contains(["s3", "dynamodb"], var.store)
    error_message = "store is s3 or dynamodb."
  }
}

variable "api" {
  type        = string
  default     = "sql"
  description = "CLOUDLITE_API: sql (Hrana, CloudSQLite's sql_statement) or dynamodb (the DynamoDB API)."
  validation {
    condition     = contains(["sql", "dynamodb"], var.api)
    error_message = "api is sql or dynamodb."
  }
}

variable "create_databases" {
  type        = bool
  default     = true
  description = "SQL API: a request to a missing database creates it."
}

variable "jwt_key" {
  type        = string
  default     = ""
  description = <<-EOT
    SQL API, optional: the Ed25519 public key(s) of accepted Bearer JWTs (base64url lines or
    PEM). Set, the function checks every request and the function URL is AuthType NONE (what
    libSQL clients need); empty, the URL is AWS_IAM. Public keys: no secret here.
  EOT
}

variable "dynamodb_credentials_secret" {
  type        = string
  default     = ""
  description = <<-EOT
    DynamoDB API: name or ARN of a Secrets Manager secret whose SecretString is the access keys
    callers sign with, lines 'ACCESS_KEY_ID SECRET_ACCESS_KEY'. Read at plan/apply time with the
    deployer's credentials (it is then in the state, marked sensitive: keep the state private);
    the function's role gets no Secrets Manager permission.
  EOT
}

variable "dynamodb_partitions" {
  type        = number
  default     = 8
  description = "DynamoDB API: partition databases of each table created from now on (CLOUDLITE_DYNAMODB_PARTITIONS, 1..256)."
  validation {
    condition     = var.dynamodb_partitions >= 1 && var.dynamodb_partitions <= 256
    error_message = "dynamodb_partitions must be 1 .. 256."
  }
}

variable "zip" {
  type    = string
  default = "../../build-al2023/cloudlite-lambda.zip"
}

variable "memory_size" {
  type    = number
  default = 512
}

locals {
  use_s3  = var.store == "s3"
  sql_api = var.api == "sql"
  sql_jwt = local.sql_api && var.jwt_key != ""
  # The function checks callers itself (SigV4 or JWTs): the URL passes requests through.
  url_auth_none = !local.sql_api || local.sql_jwt
  # One prefix per API, so that a stack switched to the other API never mixes SQL databases
  # with the DynamoDB API's catalog and partitions (docs/lambda.md).
  prefix = local.sql_api ? "dbs" : "tables"
}

# Read at plan time, so a new version of the secret reaches the function at the next apply.
data "aws_secretsmanager_secret_version" "dynamodb_credentials" {
  count     = local.sql_api ? 0 : 1
  secret_id = var.dynamodb_credentials_secret
  lifecycle {
    # The function's own rule (src/lambda_function/config.cc), refused at plan time.
    precondition {
      condition     = var.dynamodb_credentials_secret != ""
      error_message = "api = \"dynamodb\" needs dynamodb_credentials_secret (SigV4 access keys)."
    }
  }
}

resource "aws_s3_bucket" "store" {
  count         = local.use_s3 ? 1 : 0
  bucket_prefix = "${var.name}-"
}

resource "aws_s3_bucket_public_access_block" "store" {
  count                   = local.use_s3 ? 1 : 0
  bucket                  = aws_s3_bucket.store[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_dynamodb_table" "store" {
  count        = local.use_s3 ? 0 : 1
  name         = var.name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "hash_key"
  range_key    = "range_key"
  attribute {
    name = "hash_key"
    type = "S"
  }
  attribute {
    name = "range_key"
    type = "N"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "store" {
  dynamic "statement" {
    for_each = local.use_s3 ? [1] : []
    content {
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${aws_s3_bucket.store[0].arn}/${local.prefix}/*"]
    }
  }
  # Without ListBucket S3 answers 403, not 404, for a missing key.
  dynamic "statement" {
    for_each = local.use_s3 ? [1] : []
    content {
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.store[0].arn]
    }
  }
  dynamic "statement" {
    for_each = local.use_s3 ? [] : [1]
    content {
      actions = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
        "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem"]
      resources = [aws_dynamodb_table.store[0].arn]
    }
  }
}

resource "aws_iam_role" "function" {
  name_prefix        = "${var.name}-"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "store" {
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.store.json
}

resource "aws_lambda_function" "sql" {
  function_name    = var.name
  role             = aws_iam_role.function.arn
  filename         = var.zip
  source_code_hash = filebase64sha256(var.zip)
  runtime          = "provided.al2023"
  handler          = var.api # unused by the custom runtime; CLOUDLITE_API picks the API
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = 29
  environment {
    variables = merge(
      {
        CLOUDLITE_API   = var.api
        CLOUDLITE_STORE = local.use_s3 ? "s3://${aws_s3_bucket.store[0].id}/${local.prefix}" : "dynamodb://${aws_dynamodb_table.store[0].name}/${local.prefix}"
      },
      local.sql_api ? { CLOUDLITE_CREATE = var.create_databases ? "1" : "0" } : {},
      local.sql_jwt ? { CLOUDLITE_AUTH_JWT_KEY = var.jwt_key } : {},
      local.sql_api ? {} : {
        CLOUDLITE_DYNAMODB_CREDENTIALS = data.aws_secretsmanager_secret_version.dynamodb_credentials[0].secret_string
        CLOUDLITE_DYNAMODB_PARTITIONS  = tostring(var.dynamodb_partitions)
      },
    )
  }
  lifecycle {
    # An auth setting for the other API is an init error of the function: refused at plan time.
    precondition {
      condition     = local.sql_api ? var.dynamodb_credentials_secret == "" : var.jwt_key == ""
      error_message = "jwt_key is for the SQL API, dynamodb_credentials_secret for the DynamoDB API."
    }
  }
}

resource "aws_lambda_function_url" "sql" {
  function_name = aws_lambda_function.sql.function_name
  # AWS_IAM unless the function checks callers itself: the DynamoDB API's SigV4 is signed for
  # dynamodb, which an AWS_IAM URL (signed for lambda) would refuse; libSQL clients send JWTs.
  authorization_type = local.url_auth_none ? "NONE" : "AWS_IAM"
}

# AuthType NONE needs a resource policy letting anyone call through the URL (what the console
# adds): lambda:InvokeFunctionUrl, and since October 2025 lambda:InvokeFunction limited to calls
# via a function URL. The function refuses unauthorized requests itself.
resource "aws_lambda_permission" "url_invoke_url" {
  count                  = local.url_auth_none ? 1 : 0
  function_name          = aws_lambda_function.sql.function_name
  action                 = "lambda:InvokeFunctionUrl"
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "url_invoke_function" {
  count                    = local.url_auth_none ? 1 : 0
  function_name            = aws_lambda_function.sql.function_name
  action                   = "lambda:InvokeFunction"
  principal                = "*"
  invoked_via_function_url = true
}

output "function_url" {
  description = "SQL: POST <url>mydb/v2/pipeline. DynamoDB: the endpoint URL of an SDK or the AWS CLI."
  value       = aws_lambda_function_url.sql.function_url
}

output "api" {
  value = var.api
}
