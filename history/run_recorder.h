// What a writer that prints nothing (vq-watch) does with a run that ended: append it to this
// configuration's history, and put whatever went wrong on the way in the run's queue's event
// log, where `vq-admin` users look: one `history-failed` warning (no place, read-only, locked:
// the record is lost) or one `history-rebuilt` warning (an unreadable file moved aside).
#pragma once

#include "config.h"
#include "result.h"
#include "run_record.h"

namespace vq::history {

// Returns the append's outcome; the log line is written either way.
Result<void> record_run(const Config& config, const RunRecord& run);

}  // namespace vq::history
