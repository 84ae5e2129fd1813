#include "pipeline/item_pool.hpp"

namespace midilib {

file_item *item_pool::acquire()
{
    file_item *item = nullptr;
    if (m_free.try_pop(item)) {
        return item;
    }
    std::lock_guard lock{m_mutex};
    m_all.push_back(std::make_unique<file_item>());
    return m_all.back().get();
}

void item_pool::release(file_item *item) noexcept
{
    item->stored.key.clear();
    item->stored.path.clear();
    item->stored.size = 0;
    item->stored.mtime_us = 0;
    std::vector<std::uint8_t>{}.swap(item->bytes);
    item->stored.state = file_state::pending;
    item->facts = file_facts{};
    item->analyzed = false;
    item->analysis = analysis_result{};
    std::string{}.swap(item->stored.file_row); // freed, not kept: a pooled item would keep its largest row
    std::string{}.swap(item->stored.analysis_row);
    item->stored.error_stage = "";
    item->stored.error_reason.clear();
    item->preloaded = false;
    item->budgeted = 0;
    item->archive.reset();
    m_free.push(item);
}

std::size_t item_pool::created() const
{
    std::lock_guard lock{m_mutex};
    return m_all.size();
}

} // namespace midilib
