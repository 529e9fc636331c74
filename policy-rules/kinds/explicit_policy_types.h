#pragma once

#include "netadmit/rule.h"

namespace netadmit {

// ExplicitPolicyTypes: policyTypes is written out instead of inferred.
RuleKind ExplicitPolicyTypesKind();

}  // namespace netadmit
