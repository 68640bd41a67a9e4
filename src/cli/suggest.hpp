#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace tenantry::cli {

/// Edits (insertions, deletions, substitutions, swaps of two neighbours) from `a` to `b`: the optimal string
/// alignment distance, so that the common typo "tennat" is one edit from "tenant".
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, when it is close enough to be what was meant (one edit for short words,
/// two for longer ones); none when nothing is.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

/// After CLI11 refused `argv`: a clearer message when the cause is an unknown (sub)command or long option,
/// with "did you mean" when a known one is close, e.g. "unknown command 'tennat'; did you mean 'tenant'?".
/// None when the error is of another kind (CLI11's own message is then the right one).
std::optional<std::string> explain_unknown(const CLI::App& root, int argc, const char* const* argv);

}  // namespace tenantry::cli
