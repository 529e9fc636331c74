// Loads arbitrary bytes as a rule set: a broken ConfigMap edit must give an error, never a crash.

#include <cstddef>
#include <cstdint>
#include <string>

#include "netadmit/rules/rule_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const netadmit::RuleSource source{"fuzz.yaml",
                                    std::string(reinterpret_cast<const char*>(data), size)};
  (void)netadmit::LoadRuleSet(std::span(&source, 1));
  return 0;
}
