#pragma once
/// Writes batches of imported files into the library tables, and tells which paths are already there.

#include "db/stored_file.hpp"

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
 * Writes @p files in one transaction: COPY into the session's staging tables,
 * then insert new contents (ON CONFLICT on the hash, so concurrent importers
 * never duplicate a content), their paths and the errors. Retries the whole
 * batch on deadlock or serialization failure.
 * \throws pqxx::failure on any other database error (the batch is rolled back).
 */
batch_result write_batch(pqxx::connection &cx, std::span<stored_file const *const> files);

/// Fills the session's stage_analysis table with the analysis rows of @p files.
void stage_analysis_rows(pqxx::dbtransaction &tx, std::span<stored_file const *const> files);

/**
 * After an import's last batch (migration 0009): merges the pending entries of the search
 * indexes, and refreshes the planner's statistics when @p changed_files (contents stored or
 * given a new path) is a tenth of the library or more. The library is then ready to search at
 * full speed at once, not after autovacuum's next visit.
 */
void finish_import(pqxx::connection &cx, std::uint64_t changed_files);

} // namespace midilib
