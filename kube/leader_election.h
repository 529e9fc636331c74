#pragma once

// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews the Lease every retry period; another candidate takes it over once the record
// it last saw has not changed for a whole lease duration. Time is measured on the local
// monotonic clock from when a record was observed, never by comparing the holder's timestamps
// with our own clock, so skewed clocks cannot make two leaders. A leader that cannot renew
// within the renew deadline stops leading at once, before its lease can have expired for the
// others; one that finds another holder stops at once.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kube/watcher.h"
#include "netadmit/model/result.h"

namespace netadmit::kube {

struct LeaseOptions {
  std::string namespace_name;  // where the Lease lives (netadmit's own namespace)
  std::string name = "netadmit-audit";
  std::string identity;  // this candidate, e.g. the pod's name; unique among candidates
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  std::chrono::milliseconds request_timeout{5'000};
  // Injected for tests.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  // Called from the election's thread when this candidate starts or stops leading.
  std::function<void(bool leading)> on_change;
};

// What one attempt to acquire or renew found.
enum class LeaseAttempt {
  kLeading,      // this candidate holds the Lease now
  kHeldByOther,  // another candidate holds it and its lease has not run out
  kFailed,       // no answer, or an answer that says nothing about the holder
};

class LeaderElector {
 public:
  // `api` must be started and outlive the elector.
  LeaderElector(Watcher& api, LeaseOptions options);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the election on a thread of its own until Stop.
  void Start();
  // Stops the election; a leader releases the Lease first (so the next takes over at once, not
  // after a lease duration). Idempotent.
  void Stop();

  bool Leading() const;

  // One attempt, for the election's loop and for tests: creates the Lease, renews it, or takes
  // over one whose record has not changed for a lease duration.
  LeaseAttempt TryAcquireOrRenew();
  // Gives the Lease up when this candidate holds it.
  void Release();

 private:
  struct Record {
    std::string holder;
    std::string renew_time;
    std::string acquire_time;
    int transitions = 0;
    std::string resource_version;
  };

  void Run();
  void SetLeading(bool leading);
  std::string Path() const;
  std::string LeaseJson(const Record& record, const std::string& holder, int duration_seconds,
                        const std::string& renew_time, const std::string& acquire_time,
                        int transitions) const;

  Watcher& api_;
  LeaseOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool leading_ = false;
  std::thread thread_;
  // The record last seen and when: the basis for deciding that a holder's lease ran out.
  std::string observed_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point last_renewed_{};
};

}  // namespace netadmit::kube
