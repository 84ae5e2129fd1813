#pragma once
/// Works: contents that hold the same music (analyzers/fingerprint.hpp), kept in file_works
/// (migration 0016) by the transaction that stores their analysis.

#include <pqxx/pqxx>

#include <cstdint>

namespace midilib {

/// What join_works() did.
struct works_result
{
    std::uint64_t contents = 0; ///< staged contents given (or confirmed in) their work
    std::uint64_t moved = 0;    ///< contents stored before that moved into a merged work
};

/**
 * Puts the contents whose analysis rows are in the session's stage_analysis table into works:
 * each joins the works of every content it is the same work as (a shared band key and an estimated
 * similarity of at least SAME_WORK_SIMILARITY), merging them under the smallest work id; a content
 * like no other is a work of its own. Call it last in the transaction that wrote the analysis: it
 * takes an advisory lock held to the commit, so that batches and workers storing copies of one piece
 * at the same time each see the others' contents, and a work is built exactly once.
 */
works_result join_works(pqxx::dbtransaction &tx);

} // namespace midilib
