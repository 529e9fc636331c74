#pragma once

#include "netadmit/rule.h"

namespace netadmit {

// RequirePorts: every ingress and egress rule lists specific ports.
RuleKind RequirePortsKind();

}  // namespace netadmit
