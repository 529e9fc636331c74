#pragma once

// Small helpers for writing JSON with RapidJSON, shared by every JSON the program writes
// (AdmissionReview responses, `check` and `reach` reports, log lines).

#include <rapidjson/rapidjson.h>

#include <string_view>

namespace netadmit {

// Writes `text` as a JSON string: RapidJSON takes a pointer and a length, never a view.
template <typename Writer>
void WriteJsonString(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

}  // namespace netadmit
