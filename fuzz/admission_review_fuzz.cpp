// Feeds arbitrary bytes to the AdmissionReview decoder and, when they decode, to the review with
// the default rule set: neither may crash, hang or leak, whatever the API server (or anyone
// reaching the port) sends.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "netadmit/admission.h"

namespace {

const netadmit::RuleSet& DefaultRules() {
  static const auto rules = [] {
    const netadmit::RuleSource source = netadmit::DefaultRuleSource();
    return netadmit::LoadRuleSet(std::span(&source, 1)).value();
  }();
  return *rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request =
      netadmit::DecodeAdmissionReview(std::string_view(reinterpret_cast<const char*>(data), size));
  if (request.ok()) {
    const netadmit::ReviewResult result = netadmit::Review(DefaultRules(), request.value());
    (void)netadmit::EncodeAdmissionReview(request->version, result.response);
  }
  return 0;
}
