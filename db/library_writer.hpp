#pragma once
/// Writes batches of imported files into the library tables, and tells which paths are already there.

#include "pipeline/file_item.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace midilib {

/// What one committed batch added.
struct batch_result
{
    std::uint64_t imported = 0;   ///< new midi_files rows
    std::uint64_t duplicates = 0; ///< files whose content was already in the library
    std::uint64_t failed = 0;     ///< import_errors rows
};

/**
 * Writes @p items in one transaction: COPY into the session's staging tables,
 * then insert new contents (ON CONFLICT on the hash, so concurrent importers
 * never duplicate a content), their paths and the errors. Retries the whole
 * batch on deadlock or serialization failure.
 * \throws pqxx::failure on any other database error (the batch is rolled back).
 */
batch_result write_batch(pqxx::connection &cx, std::span<file_item *const> items);

/// A file found on disk, before it is read.
struct path_candidate
{
    std::string path;          ///< stored form (UTF-8)
    std::uint64_t size = 0;
    std::int64_t mtime_us = 0;
};

/**
 * Returns, for each candidate, whether the library already holds that path with the
 * same size and mtime (imported or failed), so that a re-run can skip it unread.
 */
std::vector<bool> known_paths(pqxx::connection &cx, std::span<path_candidate const> candidates);

} // namespace midilib
