#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// ProtectedPolicies: the NetworkPolicies a platform team owns (by name or label; the rule's
// `match` picks the namespaces) may be changed or deleted only by the users and groups listed.
RuleKind ProtectedPoliciesKind();

}  // namespace netadmit
