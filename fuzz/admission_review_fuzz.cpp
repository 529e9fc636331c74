// Feeds arbitrary bytes to the AdmissionReview decoder and, when they decode, to the review with
// the default rule set: neither may crash, hang or leak, whatever the API server (or anyone
// reaching the port) sends.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "default_rules.h"
#include "netadmit/rules/review.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request =
      netadmit::DecodeAdmissionReview(std::string_view(reinterpret_cast<const char*>(data), size));
  if (request.ok()) {
    const netadmit::ReviewResult result =
        netadmit::Review(netadmit::fuzzing::DefaultRules(), request.value());
    (void)netadmit::EncodeAdmissionReview(request->version, result.response);
  }
  return 0;
}
