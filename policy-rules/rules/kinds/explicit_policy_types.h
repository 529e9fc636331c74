#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// ExplicitPolicyTypes: policyTypes is written out instead of inferred.
RuleKind ExplicitPolicyTypesKind();

}  // namespace netadmit
