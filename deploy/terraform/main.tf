# cloudlite-lambda with Terraform: the function (zip from scripts/lambda-zip.sh), a role with
# exactly the store actions cloudlite uses, a function URL (AWS_IAM) and the store: an S3
# bucket (store = "s3") or a DynamoDB table (store = "dynamodb"). docs/lambda.md.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
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

variable "zip" {
  type    = string
  default = "../../build-al2023/cloudlite-lambda.zip"
}

variable "memory_size" {
  type    = number
  default = 512
}

locals {
  use_s3 = var.store == "s3"
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
      resources = ["${aws_s3_bucket.store[0].arn}/dbs/*"]
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
  handler          = "sql"
  architectures    = ["x86_64"]
  memory_size      = var.memory_size
  timeout          = 29
  environment {
    variables = {
      CLOUDLITE_STORE  = local.use_s3 ? "s3://${aws_s3_bucket.store[0].id}/dbs" : "dynamodb://${aws_dynamodb_table.store[0].name}/dbs"
      CLOUDLITE_CREATE = "1"
    }
  }
}

resource "aws_lambda_function_url" "sql" {
  function_name      = aws_lambda_function.sql.function_name
  authorization_type = "AWS_IAM"
}

output "function_url" {
  value = aws_lambda_function_url.sql.function_url
}
