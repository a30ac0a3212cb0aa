// The dashboard's controls for this queue: the rows of the table the page draws its buttons
// from. A new control (priority, urgent) is a row here.
#pragma once

#include <chrono>
#include <vector>

#include "control.h"
#include "queue_store.h"

namespace vq::admin {

// `queue` must outlive the controls.
std::vector<dashboard::Control> queue_controls(QueueStore& queue,
                                               std::chrono::milliseconds lock_wait);

}  // namespace vq::admin
