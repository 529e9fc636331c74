#pragma once

#include "netadmit/rule.h"

namespace netadmit {

// RestrictNamespacePeers: peers that select namespaces name them, and only allowed ones.
RuleKind RestrictNamespacePeersKind();

}  // namespace netadmit
