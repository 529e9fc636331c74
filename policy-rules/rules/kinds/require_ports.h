#pragma once

#include "netadmit/rules/rule.h"

namespace netadmit {

// RequirePorts: every ingress and egress rule lists specific ports.
RuleKind RequirePortsKind();

}  // namespace netadmit
