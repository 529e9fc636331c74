#pragma once

// Labels, label selectors and protocols: the vocabulary every policy kind selects pods with.

#include <map>
#include <string>
#include <vector>

namespace netadmit {

using Labels = std::map<std::string, std::string, std::less<>>;

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist };

struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;
};

// metav1.LabelSelector. An empty selector (no labels, no expressions) selects everything.
struct LabelSelector {
  Labels match_labels;
  std::vector<SelectorRequirement> match_expressions;

  bool Empty() const { return match_labels.empty() && match_expressions.empty(); }
  // Kubernetes semantics: every matchLabels pair and every expression must hold.
  bool Matches(const Labels& labels) const;
};

enum class Protocol { kTCP, kUDP, kSCTP };
const char* ProtocolName(Protocol protocol);

}  // namespace netadmit
