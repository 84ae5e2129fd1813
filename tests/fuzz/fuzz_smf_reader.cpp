// libFuzzer target: read_smf() and track_cursor on arbitrary bytes.
//
// The reader must never crash, read outside the input, or loop; every span it returns lies in
// the input, and walking the events (with warnings, as extract_facts does, and silently, as the
// other analyzers do) sees the same events. Warnings go to the database, so they must be valid
// UTF-8 without NUL, and are capped per file.

#include "smf/reader.hpp"
#include "smf/text.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using midilib::byte_span;

/// Warnings kept per file: read_smf's cap (32) plus its "... more warnings suppressed" line.
constexpr std::size_t MAX_WARNING_LINES = 33;

bool inside(byte_span outer, byte_span inner)
{
    return inner.empty() ||
           (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

bool database_text(std::string const &s)
{
    return s.find('\0') == std::string::npos &&
           midilib::is_valid_utf8({reinterpret_cast<std::uint8_t const *>(s.data()), s.size()});
}

bool same_event(midilib::smf_event const &a, midilib::smf_event const &b)
{
    return a.tick == b.tick && a.kind == b.kind && a.status == b.status && a.meta_type == b.meta_type &&
           a.data1 == b.data1 && a.data2 == b.data2 && a.payload.data() == b.payload.data() &&
           a.payload.size() == b.payload.size();
}

void check_event(midilib::smf_event const &ev, byte_span track)
{
    using midilib::event_kind;
    FUZZ_CHECK(inside(track, ev.payload));
    unsigned sum = 0;
    for (auto const b : ev.payload) { // ASan: every payload byte is readable
        sum += b;
    }
    (void)sum;
    switch (ev.kind) {
    case event_kind::channel:
        FUZZ_CHECK(ev.status >= 0x80 && ev.status < 0xF0);
        FUZZ_CHECK(ev.data1 < 0x80 && ev.data2 < 0x80);
        FUZZ_CHECK(ev.payload.size() == 1 || ev.payload.size() == 2);
        break;
    case event_kind::meta: FUZZ_CHECK(ev.status == 0xFF); break;
    case event_kind::sysex: FUZZ_CHECK(ev.status == 0xF0 || ev.status == 0xF7); break;
    case event_kind::system:
        FUZZ_CHECK(ev.status > 0xF0 && ev.status != 0xF7 && ev.status != 0xFF);
        FUZZ_CHECK(ev.data1 < 0x80 && ev.data2 < 0x80);
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    byte_span const input{data, size};
    auto const result = midilib::read_smf(input);
    FUZZ_CHECK(result.file.has_value() == result.error.empty());
    if (!result.file) {
        return 0;
    }
    auto const &file = *result.file;
    FUZZ_CHECK(!file.tracks.empty());
    FUZZ_CHECK(file.warnings.size() <= MAX_WARNING_LINES);
    (void)midilib::ticks_per_quarter(file.header);

    std::vector<std::string> warnings = file.warnings;
    for (auto const track : file.tracks) {
        FUZZ_CHECK(inside(input, track));
        midilib::track_cursor loud{track, &warnings};
        midilib::track_cursor quiet{track};
        midilib::smf_event a;
        midilib::smf_event b;
        std::size_t events = 0;
        for (;;) {
            bool const more = loud.next(a);
            FUZZ_CHECK(quiet.next(b) == more);
            if (!more) {
                break;
            }
            FUZZ_CHECK(same_event(a, b));
            check_event(a, track);
            ++events;
            FUZZ_CHECK(events <= track.size()); // every event consumes at least one byte
        }
        FUZZ_CHECK(!loud.next(a)); // the end stays the end
        FUZZ_CHECK(loud.saw_end_of_track() == quiet.saw_end_of_track());
    }
    FUZZ_CHECK(warnings.size() <= MAX_WARNING_LINES);
    for (auto const &w : warnings) {
        FUZZ_CHECK(!w.empty() && database_text(w));
    }
    return 0;
}
