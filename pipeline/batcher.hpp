#pragma once
/// Groups processed files into batches for the COPY writer.

#include "pipeline/file_item.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

namespace midilib {

/// A batch of files written in one transaction.
using file_batch = std::shared_ptr<std::vector<file_item *>>;

/// Rows per batch. Each batch costs a transaction, three COPYs and four statements (~2-5 ms):
/// 250 rows keep that a fraction of the batch's time, while a batch's rollback stays small, and
/// so do the files in flight, (writers + 2) batches (files_in_flight()).
constexpr std::size_t MAX_BATCH_ROWS = 250;

/// Encoded bytes per batch. A few files with huge text (capped per file) or many warnings
/// end a batch early, so the writer's buffer stays below ~8 MiB per connection.
constexpr std::size_t MAX_BATCH_BYTES = 8 * 1024 * 1024;

/// Accumulates items; serial (owned by one serial graph node).
class batcher
{
public:
    /// Adds @p item; returns a full batch when the row or byte limit is reached.
    std::optional<file_batch> add(file_item *item);
    /// Returns the partial batch, if any.
    std::optional<file_batch> flush();

private:
    file_batch m_current;
    std::size_t m_bytes = 0;
};

/// Rough size of the rows an item becomes, for MAX_BATCH_BYTES.
std::size_t estimated_row_bytes(file_item const &item) noexcept;

} // namespace midilib
