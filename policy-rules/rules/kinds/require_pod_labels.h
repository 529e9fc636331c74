#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// RequirePodLabels: pods carry the labels NetworkPolicies select them by.
RuleKind RequirePodLabelsKind();

}  // namespace netadmit
