#pragma once

// The JSON every command prints (`check -o json`, `reach -o json`): pretty-printed with two
// spaces, ending in a newline, written through the same few helpers.

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <string>
#include <string_view>

#include "netadmit/codec/json.h"

namespace netadmit::cli {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// One JSON document being written: `writer` fills it, `Text` returns it.
struct JsonOutput {
  rapidjson::StringBuffer buffer;
  JsonWriter writer{buffer};

  JsonOutput() { writer.SetIndent(' ', 2); }
  JsonOutput(const JsonOutput&) = delete;
  JsonOutput& operator=(const JsonOutput&) = delete;

  std::string Text() const { return std::string(buffer.GetString(), buffer.GetSize()) + '\n'; }
};

inline void WriteMember(JsonWriter& writer, std::string_view key, std::string_view value) {
  WriteJsonString(writer, key);
  WriteJsonString(writer, value);
}

inline void WriteMember(JsonWriter& writer, std::string_view key, int value) {
  WriteJsonString(writer, key);
  writer.Int(value);
}

}  // namespace netadmit::cli
