#pragma once
/// Tolerant, zero-copy reader for Standard MIDI Files (SMF).
///
/// read_smf() checks the container (RIFF RMID wrapper, MThd, MTrk and unknown
/// chunks) and returns spans into the caller's buffer; track_cursor walks the
/// events of one track without allocating. Recovered defects become warning
/// strings; only a file with no usable header or no track at all is an error.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace midilib {

using byte_span = std::span<std::uint8_t const>;

/// How ticks relate to time: pulses per quarter note or SMPTE frames.
enum class division_kind : std::uint8_t { ppq, smpte };

/// The MThd chunk, as found (and repaired where possible).
struct smf_header
{
    std::uint16_t format = 0;          ///< 0, 1 or 2 (another value is kept and warned about)
    std::uint16_t declared_tracks = 0; ///< track count written in MThd
    division_kind division = division_kind::ppq;
    std::uint16_t ppq = 0;            ///< ticks per quarter note (division_kind::ppq)
    std::uint8_t smpte_fps = 0;       ///< 24, 25, 29 (29.97 drop) or 30 (division_kind::smpte)
    std::uint8_t ticks_per_frame = 0; ///< sub-frame resolution (division_kind::smpte)
};

/// A parsed file: header, the bodies of its MTrk chunks (spans into the input) and warnings.
struct smf_file
{
    smf_header header;
    std::vector<byte_span> tracks;     ///< MTrk bodies, in file order
    std::vector<std::string> warnings; ///< one short sentence per recovered defect
};

/// Either a file or the reason there is none.
struct smf_result
{
    std::optional<smf_file> file; ///< set on success (possibly with warnings)
    std::string error;            ///< set when no usable header or track was found
};

/**
 * Parses the container structure of an SMF held in @p bytes (which must outlive the result).
 * Never throws on bad input; never allocates per event.
 */
smf_result read_smf(byte_span bytes);

/// Event kinds as the cursor reports them.
enum class event_kind : std::uint8_t {
    channel, ///< note on/off, aftertouch, control, program, pressure, pitch bend
    meta,    ///< FF type len data
    sysex,   ///< F0 len data, or an F7 continuation/escape packet
    system   ///< a system common/real-time byte (F1-F6, F8-FE) found inside a track (illegal in SMF)
};

/// One event. Spans point into the file buffer.
struct smf_event
{
    std::uint64_t tick = 0; ///< absolute tick from the start of the track
    event_kind kind = event_kind::channel;
    std::uint8_t status = 0;    ///< full status byte, running status resolved (0xFF for meta)
    std::uint8_t meta_type = 0; ///< meta event type (kind == meta)
    std::uint8_t data1 = 0;     ///< first data byte (channel events)
    std::uint8_t data2 = 0;     ///< second data byte, 0 when the message has one
    /// meta or sysex data (clipped to the track end when truncated); the data bytes of a channel message
    byte_span payload;

    /// Channel 0..15 of a channel event.
    [[nodiscard]] std::uint8_t channel() const noexcept { return status & 0x0FU; }
    /// High nibble of a channel event (0x80 note off, 0x90 note on, ...).
    [[nodiscard]] std::uint8_t command() const noexcept { return status & 0xF0U; }
    /// A note-on with velocity > 0.
    [[nodiscard]] bool is_note_on() const noexcept
    {
        return kind == event_kind::channel && command() == 0x90U && data2 > 0;
    }
    /// A note-off, or a note-on with velocity 0.
    [[nodiscard]] bool is_note_off() const noexcept
    {
        return kind == event_kind::channel && (command() == 0x80U || (command() == 0x90U && data2 == 0));
    }
};

/**
 * Walks the events of one track body. Handles running status (kept across
 * meta/SysEx events, as many writers rely on), SysEx continuation packets,
 * illegal system bytes, truncated events and a missing End-of-Track.
 * Stops at the End-of-Track meta event or at the end of the bytes.
 */
class track_cursor
{
public:
    /// @param warnings where defects are reported; nullptr to stay silent (second pass).
    explicit track_cursor(byte_span track, std::vector<std::string> *warnings = nullptr) noexcept;

    /// Reads the next event into @p ev; false at the end of the track.
    bool next(smf_event &ev);

    /// True when the track ended with an End-of-Track meta event.
    [[nodiscard]] bool saw_end_of_track() const noexcept { return m_saw_eot; }

private:
    static constexpr int RETRY = 2;
    /// One attempt: 1 event read, 0 end of track, RETRY a skipped byte.
    int step(smf_event &ev);
    void warn(char const *what);

    byte_span m_bytes;
    std::size_t m_pos = 0;
    std::uint64_t m_tick = 0;
    std::uint8_t m_running = 0;
    bool m_running_after_meta = false; ///< a meta/sysex came after the last channel status
    bool m_saw_eot = false;
    bool m_done = false;
    std::uint32_t m_warned = 0; ///< bit per defect kind already reported for this track
    std::vector<std::string> *m_warnings;
};

/// Ticks per quarter note to use for timing, or 0 when the division is unusable.
std::uint32_t ticks_per_quarter(smf_header const &h) noexcept;

} // namespace midilib
