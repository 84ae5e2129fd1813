#pragma once
/// The per-file stages of the import graph: read, hash, parse. Each turns a problem into a failed item.

#include "pipeline/file_item.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

namespace midilib {

/// Files larger than this are refused unread (a MIDI file over 64 MiB is not music; it would
/// also pin that much memory per file in flight).
constexpr std::uint64_t MAX_FILE_BYTES = 64ULL * 1024 * 1024;

/// Reads the whole regular file at @p path (at most MAX_FILE_BYTES) into @p bytes.
/// \returns false, with a one-sentence @p error, when it cannot.
bool read_file(std::string const &path, std::vector<std::uint8_t> &bytes, std::string &error);

/// XXH3-128 of @p bytes as the 16 big-endian digest bytes stored in midi_files.hash.
std::array<std::uint8_t, 16> content_hash(std::span<std::uint8_t const> bytes);

/// Reads the item's file into its buffer (archive members are already in memory).
void read_stage(file_item &item);

/// Hashes the bytes (XXH3-128); marks the item a duplicate when @p known holds the hash.
class known_hashes;
void hash_stage(file_item &item, known_hashes const &known);

/// Parses and extracts facts (and the musical analysis when @p analyze_too); frees the file bytes afterwards.
void parse_stage(file_item &item, bool analyze_too);

/**
 * Hashes already committed to the library by this run: a fixed-size, direct-mapped
 * table, so memory stays constant whatever the corpus size. A hit is certain (the
 * whole 128-bit hash is compared); a miss only means the file gets parsed and the
 * database's ON CONFLICT finds the duplicate.
 */
class known_hashes
{
public:
    using hash = std::array<std::uint8_t, 16>;

    known_hashes();
    /// True when @p h was added (and not overwritten since).
    [[nodiscard]] bool contains(hash const &h) const;
    /// Adds the hashes of the parsed items of a committed batch.
    void add_committed(std::span<file_item *const> items);

private:
    /// 2^16 slots x 16 bytes = 1 MiB: catches duplicates within ~65k files of each other,
    /// which covers the copies-in-sibling-folders case, at a fixed cost.
    static constexpr std::size_t SLOTS = std::size_t{1} << 16U;

    std::vector<hash> m_slots;
    mutable std::shared_mutex m_mutex;
};

} // namespace midilib
