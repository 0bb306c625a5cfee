#pragma once

// The registry's and the access table's hash tables grow with the objects
// and sessions of a manager; std::unordered_map never gives back a bucket
// array by itself, so a million objects, once freed, would keep 8 MB per
// table for as long as the manager runs.

namespace cafman::detail {

/// After an erase: a large table that is now mostly empty shrinks its
/// bucket array to fit (amortized: it has to be 8 times too large first).
template <class Table>
void shrink_if_sparse(Table& table) {
  if (table.bucket_count() > 1024 && table.size() < table.bucket_count() / 8)
    table.rehash(0);
}

} // namespace cafman::detail
