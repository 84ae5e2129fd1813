#pragma once
/// What `midilib search` asks for, and the checks it passes before any SQL is built from it.

#include <optional>
#include <string>
#include <utility>

namespace midilib {

/// What `midilib search` asks for. Every field is optional; an empty request lists the library.
struct search_request
{
    std::string text; ///< websearch syntax: words, "quoted phrases", -exclusion, or; the last word is a prefix
    std::optional<std::pair<double, double>> bpm;      ///< tempo range, inclusive
    std::optional<std::pair<double, double>> duration; ///< seconds, inclusive
    std::optional<std::pair<int, int>> tracks;         ///< track count range
    std::optional<std::pair<int, bool>> key;           ///< tonic 0..11 (C = 0), minor
    std::optional<std::string> time_signature;         ///< "3/4"
    std::optional<std::string> instrument;             ///< words of a GM program or family name ("piano")
    std::optional<std::string> folder;                 ///< absolute folder prefix (or archive path)
    std::optional<bool> drums;                         ///< has drums / has none
    int limit = 20;
    std::string after; ///< a hit's cursor: the page after it
};

/**
 * @p r as PostgreSQL may receive it: its text decoded to UTF-8 as the text inside files is
 * (Windows-1252 where it is not UTF-8, NUL bytes dropped). Normalizing twice changes nothing.
 * \throws std::invalid_argument for text longer than the caps, or a range with a NaN end.
 */
search_request normalized(search_request r);

/// Parses "A minor", "F# major", "Bb", "c#m" into (tonic, minor); nothing when it is not a key.
std::optional<std::pair<int, bool>> parse_key(std::string const &text);

} // namespace midilib
