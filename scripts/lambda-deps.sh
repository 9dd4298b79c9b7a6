#!/usr/bin/env bash
# Builds the one dependency the Lambda zip cannot take from Debian as it is: a minimal static
# libcurl (HTTP and HTTPS over OpenSSL, nothing else). Debian's libcurl.a wants Kerberos, LDAP,
# libssh2 and more, which Debian ships only as shared libraries; a bootstrap that loads them
# would need them on Amazon Linux 2023 too (docs/lambda.md, "The zip").
#
# The source is Debian's own curl (`apt-get source`, through a private deb-src list, so the
# machine's apt configuration is left alone) with Debian's patches, built with gcc-11 like the
# rest of the zip.
# Usage: scripts/lambda-deps.sh DEPS_DIR   -> DEPS_DIR/curl/{include,lib/libcurl.a}
# Idempotent: does nothing when DEPS_DIR/curl/lib/pkgconfig/libcurl.pc (written last) exists.
set -euo pipefail
deps=${1:?usage: lambda-deps.sh DEPS_DIR}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
prefix=$deps/curl
if [[ -f $prefix/lib/pkgconfig/libcurl.pc ]]; then
  exit 0
fi
cc=${LAMBDA_CC:-gcc-11}
command -v "$cc" >/dev/null || {
  echo "lambda-deps: $cc not found (apt-get install g++-11)" >&2
  exit 1
}

# A deb-src list for the suites the machine already uses, in a private apt state directory.
apt_dir=$deps/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/sources"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
cat >"$apt_dir/sources/src.list" <<EOF
deb-src http://deb.debian.org/debian $codename main
deb-src http://deb.debian.org/debian-security $codename-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources/src.list" -o "Dir::Etc::SourceParts=-"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -q >/dev/null
src=$deps/src
rm -rf "$src"
mkdir -p "$src"
(cd "$src" && apt-get "${apt_opts[@]}" source --download-only -q curl >/dev/null &&
  dpkg-source -x ./curl_*.dsc curl >/dev/null)

# Only what cloudlite's HttpClient uses: HTTP/1.1 and HTTPS (OpenSSL), proxies, IPv6.
cd "$src/curl"
CC=$cc CFLAGS="-O2 -fPIC" ./configure -q --prefix="$prefix" --disable-shared --enable-static \
  --with-openssl --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 \
  --without-ngtcp2 --without-brotli --without-zstd --without-libssh2 --without-libssh \
  --without-librtmp --without-gssapi --without-libgsasl --disable-ldap --disable-ldaps \
  --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
  --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-ftp --disable-file \
  --disable-manual --without-ca-bundle --without-ca-path --with-ca-fallback \
  --disable-ntlm >/dev/null
make -s -j"$(nproc)" -C lib >/dev/null
make -s -C lib install >/dev/null
make -s -C include install >/dev/null
make -s install-pkgconfigDATA >/dev/null  # libcurl.pc, which the zip's cmake finds first
echo "lambda-deps: $prefix/lib/libcurl.a ($(stat -c %s "$prefix/lib/libcurl.a") bytes)"
