# Settings for a `bootstrap` that loads on AWS Lambda's provided.al2023 (glibc 2.34), built on
# Debian 12 (glibc 2.36, GCC 12): scripts/lambda-zip.sh passes this file as
# CMAKE_PROJECT_INCLUDE, with CC=gcc-11 and CXX=g++-11. Why each setting: docs/lambda.md, "The zip".
#
# * libstdc++ and libgcc linked statically: Amazon Linux's are older than the build's, and GCC
#   12's static ones reference glibc 2.35/2.36 symbols (_dl_find_object, arc4random); GCC 11's do not.
# * Third-party libraries linked statically (Debian ships .a files of SQLite, zstd, xxhash,
#   OpenSSL, zlib, Boost.JSON), libcurl from scripts/lambda-deps.sh (Debian's needs Kerberos,
#   LDAP, ... as shared libraries).
# So the program needs only libc, libm and the loader.
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(OPENSSL_USE_STATIC_LIBS TRUE)
set(Boost_USE_STATIC_LIBS ON)
string(APPEND CMAKE_EXE_LINKER_FLAGS " -static-libstdc++ -static-libgcc")
# The static libcurl's own dependencies, after everything that uses it on the link line.
set(CMAKE_CXX_STANDARD_LIBRARIES
    "-Wl,-Bstatic -lssl -lcrypto -lz -Wl,-Bdynamic -ldl -lpthread -lm")
