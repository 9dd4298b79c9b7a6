// OfflineScope: a thread that must not wait on the network. The HTTP listener's I/O thread
// answers reads itself when it can (docs/server.md, "Reads on the I/O thread"); on a store
// behind the network it may only do so when the answer needs no request to the store. While an
// OfflineScope lives on a thread, HttpClient::Send (net/http_client.h) refuses at once with
// DeadlineExceeded, which no retry loop retries, and the scope remembers that it did: the caller
// then throws away whatever it made and gives the work to a thread that may wait.
#pragma once

namespace cloudlite {

class OfflineScope {
 public:
  OfflineScope();
  ~OfflineScope();
  OfflineScope(const OfflineScope&) = delete;
  OfflineScope& operator=(const OfflineScope&) = delete;

  // Whether anything on this thread was refused the network since the scope began.
  bool refused() const;

  // For code that would reach the network: whether this thread is inside a scope, and, if it
  // is, noting that it refused.
  static bool Active();
  static void NoteRefused();

 private:
  const bool outer_active_;
  const bool outer_refused_;
};

}  // namespace cloudlite
