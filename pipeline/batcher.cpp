#include "pipeline/batcher.hpp"

#include <utility>

namespace midilib {

namespace {

std::size_t text_bytes(std::vector<std::string> const &v) noexcept
{
    std::size_t n = 0;
    for (auto const &s : v) {
        n += s.size() + 3;
    }
    return n;
}

} // namespace

std::size_t estimated_row_bytes(file_item const &item) noexcept
{
    // Fixed part: numbers, hash, path row. Variable part: the text columns.
    std::size_t n = 300 + 2 * item.path.size() + item.error_reason.size();
    if (item.state == item_state::parsed) {
        auto const &f = item.facts;
        n += text_bytes(f.time_signatures) + text_bytes(f.key_signatures) + text_bytes(f.track_names) +
             text_bytes(f.texts) + text_bytes(f.lyrics) + text_bytes(f.copyrights) + text_bytes(f.markers) +
             text_bytes(f.warnings);
    }
    return n;
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
