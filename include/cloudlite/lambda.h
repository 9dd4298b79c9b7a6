// The Lambda flavour's public header: what a user's own AWS Lambda function includes, in this
// tree or in a project that does find_package(cloudlite) (docs/lambda.md, "Your own function").
//
//   #include <cloudlite/lambda.h>
//
//   int main() {
//     return cloudlite::lambda::Run([](const cloudlite::lambda::Request& request) {
//       return cloudlite::lambda::Response::Text(200, "hello\n");
//     });
//   }
//
// Run, RunOptions, InitFunction and CurrentInvocation are declared in lambda/lambda.h, and
// Request, Response and Handler in server/http/handler.h: the servers and the tests use those
// very headers, so they are installed as they are (under include/cloudlite/internal/, which a
// user never names) rather than moved here, which would split server/http's one definition of a
// handler between two places. The types are re-exported into cloudlite::lambda so that a
// function names only cloudlite::lambda.
#pragma once

#include "lambda/lambda.h"  // IWYU pragma: export

namespace cloudlite::lambda {

using server::Handler;
using server::Header;
using server::Request;
using server::Response;

}  // namespace cloudlite::lambda
