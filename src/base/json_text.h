// JSON text written directly (no JSON tree): the hot responses of the servers are built this way,
// since building a tree and serializing it was a sixth of a point query's instructions.
#pragma once

#include <string>
#include <string_view>

namespace cloudlite {

// Appends `text` (UTF-8) as a JSON string: quoted, with '"', '\\' and control characters
// escaped (\n, \t, ... or \u00XX); every other byte as it is.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace cloudlite
