#pragma once

// The problem types of the accounts app, each defined once (thrown as e.g. http::Conflict(kLastOwner, ...)).
#include "tenantry/http/problem.hpp"

namespace tenantry::apps::accounts {

inline constexpr http::ProblemType<400> kInvalidLink{"invalid-link", "Invalid link"};
inline constexpr http::ProblemType<401> kInvalidCredentials{"invalid-credentials", "Invalid credentials"};
inline constexpr http::ProblemType<403> kNotAMember{"not-a-member", "Not a member"};
inline constexpr http::ProblemType<403> kPlanLimitReached{"plan-limit-reached", "Plan limit reached"};
inline constexpr http::ProblemType<409> kAccountExists{"account-exists", "Account exists"};
inline constexpr http::ProblemType<409> kAlreadyAMember{"already-a-member", "Already a member"};
inline constexpr http::ProblemType<409> kLastOwner{"last-owner", "Last owner"};
inline constexpr http::ProblemType<409> kSlugTaken{"slug-taken", "Slug taken"};

}  // namespace tenantry::apps::accounts
