// watch/upkeep_priority: when the kernel lets a process leave SCHED_IDLE again.
#include "upkeep_priority.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace vq::watch {
namespace {

TEST(UpkeepPriority, LeavingIdleClassNeedsCapSysNiceOrARlimitNiceCoveringTheNiceLevel) {
  EXPECT_FALSE(may_leave_idle_class(10, 0, false)) << "the default: RLIMIT_NICE 0";
  EXPECT_FALSE(may_leave_idle_class(10, 9, false));
  EXPECT_TRUE(may_leave_idle_class(10, 10, false)) << "20 - nice 10 = 10";
  EXPECT_TRUE(may_leave_idle_class(10, UINT64_MAX, false)) << "unlimited";
  EXPECT_TRUE(may_leave_idle_class(10, 0, true)) << "CAP_SYS_NICE";
  EXPECT_FALSE(may_leave_idle_class(0, 19, false));
  EXPECT_TRUE(may_leave_idle_class(19, 1, false));
}

}  // namespace
}  // namespace vq::watch
