#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// RequirePodSelected: every pod is selected by some NetworkPolicy for the named directions, for
// organizations that isolate pods one policy at a time rather than with a default-deny.
RuleKind RequirePodSelectedKind();

}  // namespace netadmit
