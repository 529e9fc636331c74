// Reads arbitrary bytes as manifests and evaluates every object with the default rule set, as
// `netadmit check` does on files from a pull request.

#include <cstddef>
#include <cstdint>
#include <string>

#include "default_rules.h"
#include "netadmit/codec/decode.h"
#include "netadmit/codec/manifest.h"
#include "netadmit/rules/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto objects =
      netadmit::ParseManifests("fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size));
  if (!objects.ok()) {
    return 0;
  }
  for (const auto& manifest : objects.value()) {
    auto object = netadmit::DecodeObject(*manifest.object, "default");
    if (object.ok()) {
      (void)netadmit::Evaluate(netadmit::fuzzing::DefaultRules(), object.value(),
                               netadmit::CheckContext{});
    }
  }
  return 0;
}
