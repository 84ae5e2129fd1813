#pragma once
/// Recycles file_item objects (and their buffers) so the hot path does not allocate per file.

#include "pipeline/file_item.hpp"

#include <oneapi/tbb/concurrent_queue.h>

#include <memory>
#include <mutex>
#include <vector>

namespace midilib {

/// A grow-only pool of file_item; the limiter bounds how many are out at once.
class item_pool
{
public:
    item_pool() = default;
    item_pool(item_pool const &) = delete;
    item_pool &operator=(item_pool const &) = delete;
    item_pool(item_pool &&) = delete;
    item_pool &operator=(item_pool &&) = delete;
    ~item_pool() = default;

    /// A clean item (new or recycled).
    file_item *acquire();
    /// Returns @p item to the pool; it is reset, and an oversized buffer is freed.
    void release(file_item *item) noexcept;
    /// Items created so far (the high-water mark of items in flight).
    [[nodiscard]] std::size_t created() const;

private:
    tbb::concurrent_queue<file_item *> m_free;
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<file_item>> m_all;
};

} // namespace midilib
