#pragma once
/// glibc malloc settings for the import's threads, which free what other threads allocated.

namespace midilib {

/// Keeps freed file buffers from staying in glibc's arenas as fragments, so peak RSS stays flat over a long import.
void tune_malloc();

} // namespace midilib
