#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// RequireDefaultDeny: every namespace keeps a NetworkPolicy that selects all its pods and denies
// everything in the named directions, before any pod runs there and for as long as pods may.
RuleKind RequireDefaultDenyKind();

}  // namespace netadmit
