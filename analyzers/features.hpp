#pragma once
/// A fixed-length feature vector for "similar to this file": harmony, melody, rhythm, instruments,
/// density and tempo, each part scaled so that none drowns the others under a Euclidean distance.

#include "analyzers/key.hpp"
#include "analyzers/notes.hpp"

#include <array>
#include <cstdint>

namespace midilib {

/// Dimensions: few enough for a PostgreSQL cube GiST index (it degrades with dimensions).
constexpr std::size_t FEATURE_DIMS = 24;

/// Where each part starts in the vector, and how long it is.
constexpr std::size_t FEATURE_PITCH_CLASSES = 0; ///< 12: pitch-class shares rotated to the key's tonic
constexpr std::size_t FEATURE_INTERVALS = 12;    ///< 4: melodic steps of the top line (repeat, step, skip, leap)
constexpr std::size_t FEATURE_ONSETS = 16;       ///< 4: onsets on the beat, the 8th, the 16th, elsewhere
constexpr std::size_t FEATURE_DRUMS = 20;        ///< 1: share of notes that are drum hits
constexpr std::size_t FEATURE_SUSTAINED = 21;    ///< 1: share of pitched notes on sustained GM families
constexpr std::size_t FEATURE_DENSITY = 22;      ///< 1: onsets per second, log scale
constexpr std::size_t FEATURE_TEMPO = 23;        ///< 1: beats per minute, log scale

/// The vector. Each histogram part is square-rooted shares times 1/sqrt(2), so two files differ by at most 1
/// in it (Hellinger distance); each single value lies in 0..0.5, a half weight, as it says less than a histogram.
using feature_vector = std::array<float, FEATURE_DIMS>;

/// Features of @p notes (drums on the channels in @p drum_mask), with the file's key and tempo in @p bpm.
feature_vector compute_features(note_list const &notes, std::uint16_t drum_mask, key_result const &key, double bpm);

/// Euclidean distance, as the cube extension's cube_distance() computes it (0 = the same features).
double feature_distance(feature_vector const &a, feature_vector const &b) noexcept;

} // namespace midilib
