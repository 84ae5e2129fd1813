#include "pipeline/batcher.hpp"

#include <utility>

namespace midilib {

std::size_t estimated_row_bytes(file_item const &item) noexcept
{
    // The content and analysis rows as encoded; the path or error row: the path twice (as
    // stored, and the bytes of a name that is not UTF-8), the reason, about 100 bytes of the rest.
    auto const &row = item.stored;
    return 100 + 2 * row.path.size() + row.error_reason.size() + row.file_row.size() + row.analysis_row.size();
}

std::optional<file_batch> batcher::add(file_item *item)
{
    if (!m_current) {
        m_current = std::make_shared<std::vector<file_item *>>();
        m_current->reserve(MAX_BATCH_ROWS);
    }
    m_current->push_back(item);
    m_bytes += estimated_row_bytes(*item);
    if (m_current->size() >= MAX_BATCH_ROWS || m_bytes >= MAX_BATCH_BYTES) {
        return flush();
    }
    return std::nullopt;
}

std::optional<file_batch> batcher::flush()
{
    if (!m_current || m_current->empty()) {
        return std::nullopt;
    }
    m_bytes = 0;
    return std::exchange(m_current, nullptr);
}

} // namespace midilib
