#pragma once
/// What the library holds under the paths an import walks, and forgetting the paths that are gone.

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace midilib {

/// A file found on disk, before it is read.
struct path_candidate
{
    std::string key;  ///< its identity: the path's bytes (stored_file::key)
    std::string path; ///< as shown (UTF-8)
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
};

/// A path the library holds in a walked range that the walk did not find.
struct unwalked_path
{
    std::string key;  ///< its identity (stored_file::key)
    std::string path; ///< as shown
};

/// The library's answer about one walked range.
struct known_answer
{
    /// For each candidate: how many files the library holds under that path with the same size
    /// and mtime: 1 for an imported file, the member count for an archive read to the end, 0
    /// when unknown, changed or failed (a failed path is tried again on every run), and for an
    /// archive whose members failed under another member size limit than the current one.
    std::vector<std::uint64_t> known;
    /// Paths, error rows and archives with keys in [@p lo, @p hi) that are not candidates.
    std::vector<unwalked_path> unwalked;
};

/**
 * Checks @p candidates against the library, by key. [@p lo, @p hi) is the range of keys the walk
 * covered (it holds every candidate); what the library has there besides the candidates comes
 * back in unwalked, for the caller to tell which of it is gone from the disk.
 */
known_answer known_paths(pqxx::connection &cx, std::span<path_candidate const> candidates, std::string const &lo,
                         std::string const &hi, std::uint64_t member_limit);

/// What forgetting paths changed.
struct forgotten
{
    std::uint64_t paths = 0;    ///< path rows deleted
    std::uint64_t errors = 0;   ///< error rows deleted
    std::uint64_t archives = 0; ///< archive rows deleted
    std::uint64_t missing = 0;  ///< contents left without a path (now missing, out of search)
};

/// Forgets the paths whose keys are in @p keys (files, archives, members, error rows) in one transaction.
forgotten forget_paths(pqxx::connection &cx, std::span<std::string const> keys);

/**
 * Forgets everything stored at or under each of @p roots (keys: a folder, a file, an archive and
 * its members), in one transaction; with @p dry_run it only counts.
 */
forgotten remove_paths(pqxx::connection &cx, std::span<std::string const> roots, bool dry_run);

/// The database server's clock, in microseconds since the epoch.
std::int64_t server_now_us(pqxx::connection &cx);

/**
 * After an archive was read to the end and every member's batch committed: forgets the member
 * paths and errors of @p archive that no batch since @p read_since_us (server_now_us() when the
 * reading began) wrote (members gone from a rewritten archive), and the archive's own error; records
 * that the archive is in the library with its @p members, so that a re-run skips it, unless a
 * member failed under the member size limit @p failed_under_limit and the limit has changed since.
 */
forgotten record_archive(pqxx::connection &cx, path_candidate const &archive, std::uint64_t members,
                         std::int64_t read_since_us, std::optional<std::uint64_t> failed_under_limit);

/// What prune deleted (or would delete).
struct pruned
{
    std::uint64_t contents = 0; ///< midi_files rows, with their analysis and jobs
    std::uint64_t bytes = 0;    ///< their sizes added up
};

/// Deletes the contents missing (no path) for @p older_than_seconds or longer; with @p dry_run it only counts.
pruned prune_missing(pqxx::connection &cx, std::int64_t older_than_seconds, bool dry_run);

} // namespace midilib
