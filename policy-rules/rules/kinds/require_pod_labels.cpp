// RequirePodLabels inspects the labels of Pods and of pod controllers' pod templates
// (metadata.labels, spec.template.metadata.labels, ...). It allows pods that carry every label
// key listed in `keys`, with any value (also empty). It flags each missing key, so that
// NetworkPolicies have a stable label to select every pod by.

#include "rules/kinds/require_pod_labels.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace netadmit {

namespace {

constexpr std::size_t kMaxPrefixLength = 253;
constexpr std::size_t kMaxNameLength = 63;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A label key as Kubernetes validates it: an optional DNS-subdomain prefix and '/', then a
// name of at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
bool ValidLabelKey(std::string_view key) {
  std::string_view name = key;
  if (const auto slash = key.find('/'); slash != std::string_view::npos) {
    const std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    const bool prefix_ok =
        !prefix.empty() && prefix.size() <= kMaxPrefixLength && IsAlnum(prefix.front()) &&
        IsAlnum(prefix.back()) && std::all_of(prefix.begin(), prefix.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        });
    if (!prefix_ok) {
      return false;
    }
  }
  return !name.empty() && name.size() <= kMaxNameLength && IsAlnum(name.front()) &&
         IsAlnum(name.back()) && std::all_of(name.begin(), name.end(), [](char c) {
           return IsAlnum(c) || c == '-' || c == '_' || c == '.';
         });
}

class RequirePodLabelsCheck final : public RuleCheck {
 public:
  explicit RequirePodLabelsCheck(std::vector<std::string> keys) : keys_(std::move(keys)) {}

  void Check(const Object& object, const CheckContext& /*context*/,
             std::vector<Violation>& violations) const override {
    const PodTemplate* pod = object.pod_template();
    if (pod == nullptr) {
      return;
    }
    // A Pod's own metadata sits at "metadata"; a controller's template elsewhere.
    const std::string noun = pod->metadata_path == "metadata" ? "pod" : "pod template";
    for (const auto& key : keys_) {
      if (pod->labels.count(key) == 0) {
        violations.push_back(Violation{pod->metadata_path + ".labels",
                                       noun + " is missing a required label", key,
                                       "add `" + key + ": <value>` to the " + noun + "'s labels"});
      }
    }
  }

 private:
  std::vector<std::string> keys_;
};

Result<std::unique_ptr<const RuleCheck>> Compile(ParamReader& params) {
  params.Require("keys");
  std::vector<std::string> read = params.StringList("keys");
  std::vector<std::string> keys;
  for (auto& key : read) {
    if (!ValidLabelKey(key)) {
      params.Fail("keys", "\"" + key + "\" is not a valid label key");
      break;
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      keys.push_back(std::move(key));
    }
  }
  if (keys.empty()) {
    params.Fail("keys", "must list at least one label key");
  }
  if (auto error = params.Finish()) {
    return *std::move(error);
  }
  return std::unique_ptr<const RuleCheck>(std::make_unique<RequirePodLabelsCheck>(std::move(keys)));
}

}  // namespace

RuleKind RequirePodLabelsKind() {
  return RuleKind{
      "RequirePodLabels",
      "Pods and pod templates carry every listed label key, so that NetworkPolicies can select "
      "them.",
      Target::kPodTemplate,
      {{"keys", "list of label keys (required)", "label keys every pod must carry"}},
      Compile,
  };
}

}  // namespace netadmit
