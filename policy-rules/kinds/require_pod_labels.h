#pragma once

#include "netadmit/rule.h"

namespace netadmit {

// RequirePodLabels: pods carry the labels NetworkPolicies select them by.
RuleKind RequirePodLabelsKind();

}  // namespace netadmit
