#pragma once
/// The process's time zone named once, so that converting a time does not look at the disk.

namespace midilib {

/// Sets TZ to the system's zone file when TZ is unset: the same zone, read once instead of checked per call.
void pin_time_zone();

} // namespace midilib
