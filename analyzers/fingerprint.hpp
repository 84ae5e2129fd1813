#pragma once
/// Content fingerprint: a MinHash signature over short note n-grams that see through transposition,
/// tempo and resolution changes, instruments, track layout, small timing changes and one part more or less.

#include "analyzers/meter.hpp"
#include "analyzers/notes.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace midilib {

/// Signature slots (one-permutation MinHash). 128 gives a similarity estimate within about +-0.04
/// (one standard deviation near the threshold) in 512 bytes a file; more slots cost storage, not time.
constexpr std::size_t SIGNATURE_SLOTS = 128;

/// Slots per LSH band. With 64 bands of 2, two files share a band with probability 1-(1-s^2)^64:
/// 0.998 at the threshold 0.3, so a copy is not lost to the band lookup; 0.47 at 0.1 and 0.15 at 0.05,
/// which the exact check then drops (over the corpus 0.15 % of all pairs are candidates). 4 rows would
/// find only 40 % of the pairs at 0.3.
constexpr std::size_t BAND_ROWS = 2;
/// LSH bands: each becomes one 64-bit key.
constexpr std::size_t BANDS = SIGNATURE_SLOTS / BAND_ROWS;
static_assert(BAND_ROWS == 2, "a band key is its two 32-bit slots side by side");

/// Estimated similarity at or above which two fingerprinted files are the same work. At 0.3, 193 of 204
/// sampled corpus files are found under every edit at once, and 4 pairs of different pieces merge over the
/// corpus; at 0.2, 21 pairs merge (docs/works.md).
constexpr double SAME_WORK_SIMILARITY = 0.3;

/// Too little to identify: a file needs this many pitched notes for a pitched fingerprint (fewer, and it
/// is fingerprinted by its drums, if long enough, or not at all).
constexpr std::size_t MIN_PITCHED_NOTES = 40;
/// A drums-only file needs this many drum onsets spread over MIN_DRUM_BARS bars: a one or two bar
/// loop is a stock pattern shared by many unrelated files.
constexpr std::size_t MIN_DRUM_ONSETS = 32;
constexpr std::size_t MIN_DRUM_BARS = 4;
/// Distinct shingles needed, as slots filled before densification (64 of 128 is about 90 shingles): a file
/// repeating a few figures, such as a block-chord accompaniment, says too little and would join unrelated
/// files of its style (at 48, 11 chord-only nottingham files still merged with other tunes' chords).
constexpr std::size_t MIN_FILLED_SLOTS = 64;

/// What the signature was built from.
enum class fingerprint_kind : std::uint8_t {
    none,    ///< too short or too empty to identify: no signature, never the same work as anything
    pitched, ///< top lines of the pitched channels (drums ignored: stock patterns shared by many songs)
    drums    ///< onset pattern by drum role, for files with too few pitched notes (drum loops, grooves)
};

/// The fingerprint of one file.
struct fingerprint
{
    fingerprint_kind kind = fingerprint_kind::none;
    std::uint32_t filled = 0;                               ///< slots filled before densification
    std::array<std::uint32_t, SIGNATURE_SLOTS> signature{}; ///< all zero when kind is none
};

/// Fingerprint of the notes outside (pitched) or on (drums) the channels in @p drum_mask; @p bars from bar_grid().
fingerprint compute_fingerprint(note_list const &notes, std::vector<bar> const &bars, std::uint16_t drum_mask);

/// The BANDS LSH keys of @p f: band b is slots 2b and 2b+1 side by side, so the keys are the signature
/// itself (what the library stores); zeros for kind none. Keys of different bands are independent
/// 64-bit values: one index over all bands finds the files sharing any band.
std::array<std::int64_t, BANDS> band_keys(fingerprint const &f) noexcept;

/// Bits of a slot's value that similarity() compares: 25, so that a slot's place (7 bits) and its value
/// fit one 32-bit integer (slot_keys()); two different values agree in them once in 33 million.
constexpr std::uint32_t SLOT_VALUE_MASK = (1U << 25U) - 1;

/// The slots as sorted 32-bit keys, each its place (top 7 bits) and the compared bits of its value:
/// the equal slots of two files are the intersection of their keys (what the library computes).
std::array<std::int32_t, SIGNATURE_SLOTS> slot_keys(fingerprint const &f) noexcept;

/// The fingerprint whose band_keys() are @p keys (a stored one read back).
fingerprint fingerprint_of_keys(fingerprint_kind kind, std::span<std::int64_t const, BANDS> keys) noexcept;

/// Estimated Jaccard similarity of the two shingle sets, 0..1 (the share of slots whose SLOT_VALUE_MASK bits
/// agree); 0 when either is none or the kinds differ.
double similarity(fingerprint const &a, fingerprint const &b) noexcept;

/// True when @p a and @p b share a band and similarity() >= SAME_WORK_SIMILARITY.
bool same_work(fingerprint const &a, fingerprint const &b) noexcept;

} // namespace midilib
