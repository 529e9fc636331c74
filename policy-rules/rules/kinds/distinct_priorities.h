#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// DistinctPriorities: two cluster policies of one tier whose subjects overlap may not share a
// priority, since upstream leaves the order between them undefined.
RuleKind DistinctPrioritiesKind();

}  // namespace netadmit
