// S3Store: the ObjectStore on Amazon S3 or an S3-compatible server (Ceph RGW, MinIO, ...).
//
// URI: s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path_style=1]. Objects live at PREFIX/KEY.
// Credentials, region and endpoint come from the usual AWS sources (net/aws_config.h); the URI's
// `endpoint` and `region` override them. Requests go virtual-hosted-style to AWS
// (https://BUCKET.s3.REGION.amazonaws.com, path-style for buckets with dots, whose names break
// TLS wildcard certificates), and path-style (ENDPOINT/BUCKET/KEY) to a custom endpoint unless
// path_style=0.
//
// How it keeps the ObjectStore contract:
//  - PutIfAbsent is a PUT with If-None-Match: * (S3 and RGW decide it atomically): 412 is
//    AlreadyExists; 409 ConditionalRequestConflict (a concurrent conditional write) is retried.
//    If any attempt may have reached the server without us seeing its answer (a transport
//    failure after the whole body was handed to curl, or a 5xx), a later 412 could be our own
//    write, so the result is Ambiguous; so is running out of attempts after such a failure.
//    Ok is reported only on a 200 we saw.
//  - Every other request is idempotent (objects are immutable or written by one writer) and is
//    retried on Unavailable with the AWS retry policy (full-jitter backoff, AWS_MAX_ATTEMPTS).
//  - List uses ListObjectsV2 with start-after, so pages follow keys, not server tokens.
//  - Delete uses DeleteObjects in batches of at most 1000 keys (with the Content-MD5 it demands);
//    S3 deletes missing keys as a success.
//  - S3 limits keys to 1024 bytes including PREFIX/, so a store with a prefix holds slightly
//    shorter keys than the contract's 1024 (the server answers KeyTooLongError ->
//    InvalidArgument).
// OpenS3StoreWithOptions checks that the bucket exists and can be listed (a one-key LIST) unless
// check_bucket is off; OpenStore (registry.h) turns it off and checks at the first request
// instead, where a List that succeeds is the check (ListChecksAccess). Buckets are never
// created.
// Describe() is "s3://BUCKET/PREFIX": no endpoint credentials, no secrets.
// Thread-safety: all methods may be called concurrently (one HttpClient with a handle pool).
#pragma once

#include <memory>
#include <string>

#include "net/aws_config.h"
#include "net/http_client.h"
#include "store/object_store.h"
#include "store/uri.h"

namespace cloudlite {

struct S3StoreOptions {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; may be empty
  AwsConfig aws;       // credentials, region, endpoint_url (empty = AWS), max_attempts
  bool path_style = false;
  HttpClientOptions http;
  RetryPolicy retry;         // max_attempts is taken from aws.max_attempts by OpenS3Store(Uri&)
  bool check_bucket = true;  // HEAD the bucket on open
};

// Opens a store from explicit options (tests, tools).
Result<std::unique_ptr<ObjectStore>> OpenS3StoreWithOptions(S3StoreOptions options);

// The registry's factory for s3://, consuming the `endpoint`, `region` and `path_style` query
// parameters. `create` is accepted for the registry's signature: the bucket must already exist
// (creating buckets is an account-level decision: region, policies, billing).
Result<std::unique_ptr<ObjectStore>> OpenS3Store(Uri& uri, bool create = false);

}  // namespace cloudlite
