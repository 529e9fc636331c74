#pragma once

// What every end-to-end test binary shares: the binaries found at start (e2e_main.cpp) and one
// control plane per binary, started on first use and stopped when the binary ends.

#include <string>
#include <vector>

#include "tests/e2e/kube_cluster.h"

namespace netadmit::e2e {

const Assets& FoundAssets();

// The binary's cluster; fails the test (fatally) when it cannot start.
KubeCluster& SharedCluster();

// Creates a namespace with these labels ("k=v") and its `default` ServiceAccount (no controller
// manager makes one, and Pods are refused without it).
void CreateNamespace(const std::string& name, const std::vector<std::string>& labels = {});

// What kubectl printed, for failure messages.
std::string Printed(const testing::RunResult& result);

}  // namespace netadmit::e2e
