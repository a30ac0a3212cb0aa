// node_exporter's textfile collector reads every *.prom file in its directory whenever it is
// scraped, so a file must never be seen half written.
#pragma once

#include <string>

#include "result.h"

namespace vq::admin {

// Writes `text` to `dir`/`name` atomically: a temporary file in the same directory (its name
// does not end in .prom, so the collector skips it), flushed to disk, made 0644, then renamed
// over the old file.
Result<void> write_textfile(const std::string& dir, const std::string& name,
                            const std::string& text);

}  // namespace vq::admin
