// How ksimctl reports a failure, the one shape for every command. Text: "ksimctl: WHAT: MESSAGE
// [code]" on stderr. With --json: one object on stdout (where a script reads the result),
//   {"error":{"code":"not_found","message":"...","rule":"pin.unknown-pin"}}
// `code` is the ksim::Errc name, `message` the text without the "ksimctl: " prefix, `rule` the
// id of the rule that failed when one applies (kUsageRule, kUnknownPinRule), else null.
#pragma once

#include <string>
#include <string_view>

#include "commands.hpp"
#include "ksim/proto/error.hpp"

namespace ksim::ctl {

inline constexpr std::string_view kUsageRule = "cli.usage";             // a bad argument (exit 2)
inline constexpr std::string_view kUnknownPinRule = "pin.unknown-pin";  // names no pin of ksimd

// main binds the global options once, before the commands run, so that every report sees --json.
void bind_error_output(const GlobalOptions& global);
[[nodiscard]] bool json_errors();

// Reports `error` for `what` (empty: the message alone) and returns `exit_code`.
int report_failure(std::string_view what, const Error& error, std::string_view rule = {},
                   int exit_code = kExitError);

}  // namespace ksim::ctl
